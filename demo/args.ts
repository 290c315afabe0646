/** Command-line options of the demo (`npm start -- --help`). */
import { parseArgs } from 'node:util';

export interface DemoOptions {
  /** Folder for the server's database and each device's replica (fresh temp folder by default). */
  data: string | undefined;
  calls: number;
  keepServing: boolean;
  port: number;
}

export const HELP = `multikey-sync demo: end-to-end encrypted call-history sync across three devices.

Usage: npm start -- [options]

  --data DIR       keep everything in DIR: the server's database is DIR/server.sqlite and each
                   device's replica DIR/<device>.sqlite (default: a fresh temporary folder,
                   printed at the start)
  --calls N        how many calls the phone imports (default 3000, at most 100000)
  --port P         port for the sync server on 127.0.0.1 (default: any free port)
  --keep-serving   leave the server running at the end (stop it with Ctrl-C)
  -h, --help       show this help
`;

/** Parses argv; returns null when help was asked for. Throws a message for bad options. */
export function parseDemoArgs(argv: string[]): DemoOptions | null {
  const { values } = parseArgs({
    args: argv,
    options: {
      data: { type: 'string' },
      calls: { type: 'string' },
      port: { type: 'string' },
      'keep-serving': { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
  });
  if (values.help) return null;
  const calls = values.calls === undefined ? 3000 : Number(values.calls);
  if (!Number.isInteger(calls) || calls < 10 || calls > 100_000) throw new Error('--calls must be an integer from 10 to 100000');
  const port = values.port === undefined ? 0 : Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65_535) throw new Error('--port must be a port number');
  return { data: values.data, calls, keepServing: values['keep-serving'] ?? false, port };
}
