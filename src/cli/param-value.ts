/**
 * `--Param @file.json` reads the value from a file (`@-`: standard input), so JSON-in-JSON
 * parameters (TaskParam, TaskContent, Content) need no shell quoting; `@@x` is the literal `@x`.
 * One trailing newline, which editors add, is dropped.
 */
import fs from 'node:fs';

export class ParamFileError extends Error {}

export function readParamValue(name: string, value: string): string {
  if (!value.startsWith('@')) return value;
  if (value.startsWith('@@')) return value.slice(1);
  const file = value.slice(1);
  let text: string;
  try {
    text = fs.readFileSync(file === '-' ? 0 : file, 'utf8');
  } catch (err) {
    throw new ParamFileError(`--${name} ${value}: cannot read ${file === '-' ? 'standard input' : file} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
  return text.replace(/\r?\n$/, '');
}
