/** `--name value` / `--name=value` flags and positional words, in order. */
export interface ParsedArgs { positional: string[]; flags: Record<string, string> }

export function parseFlags(argv: string[]): ParsedArgs {
  const positional: string[] = [];
  const flags: Record<string, string> = {};
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (!arg.startsWith('--')) { positional.push(arg); continue; }
    const eq = arg.indexOf('=');
    if (eq > 0) { flags[arg.slice(2, eq)] = arg.slice(eq + 1); continue; }
    const name = arg.slice(2);
    const next = argv[i + 1];
    if (next === undefined || (next.startsWith('--') && next.length > 2)) flags[name] = 'true';
    else { flags[name] = next; i++; }
  }
  return { positional, flags };
}
