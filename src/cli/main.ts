/** The `opendi` command: serve | call | watch | principal. */
import { ConfigError } from '../config/service-config.ts';
import { parseFlags } from './parse-flags.ts';
import { serveCommand } from './serve-command.ts';
import { callCommand } from './call-command.ts';
import { watchCommand } from './watch-command.ts';
import { principalCommand } from './principal-command.ts';

const USAGE = `usage:
  opendi serve [--port 8080] [--host 127.0.0.1] [--data-dir ./.opendi] [--public-host H] [--stop-timeout-ms 10000]
               [--allowed-hosts CIDR,host,...] [--allow-cleartext-password] [--max-connections 1000]
               [--request-timeout-ms 60000] [--check-timeout-ms 60000] [--log-level info]
  opendi call <Action> [--Param value|@file ...] [--endpoint host:port] [--api-version V] [--signature v2|v3] [--data-dir D]
  opendi call --help | opendi call <Action> --help     (the actions / one action's parameters)
  opendi watch <FileId> [--ProjectId N] [--interval-ms 2000]   (follow a task until Ctrl-C)
  opendi principal create <name> | grant <name> --project <id> | keys <name> | revoke <AccessKeyId>
                   | disable <name> | enable <name>
`;

async function main(argv: string[]): Promise<number | undefined> {
  const { positional, flags } = parseFlags(argv);
  const [command, ...rest] = positional;
  switch (command) {
    case 'serve': await serveCommand(flags); return undefined;
    case 'call': return callCommand(rest[0], flags);
    case 'watch': return watchCommand(rest[0], flags);
    case 'principal': return principalCommand(rest[0], rest[1], flags);
    default:
      process.stderr.write(USAGE);
      return command === undefined || command === 'help' ? 0 : 2;
  }
}

main(process.argv.slice(2)).then(
  (code) => { if (code !== undefined) process.exitCode = code; },
  (err) => {
    process.stderr.write(`opendi: ${err instanceof ConfigError ? err.message : (err as Error).stack ?? err}\n`);
    process.exit(1);
  },
);
