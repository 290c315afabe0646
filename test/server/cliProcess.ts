/**
 * Runs `multikey-sync serve` as a child process. `npx` mode is the way a person would start it
 * (npm → sh → tsx → node): it gets its own process group so a kill reaches every process.
 * `node` mode runs one process (node --import tsx), whose exit code is the server's own.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { resolve } from 'node:path';

const ROOT = resolve(import.meta.dirname, '../..');

export interface CliProcess {
  child: ChildProcess;
  /** Everything printed so far (stdout and stderr). */
  output(): string;
  /** Resolves with the printed URL once the server listens. */
  url: Promise<string>;
  /** Exit code and signal of the spawned process. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Signals the process (the whole group in npx mode). */
  kill(signal: NodeJS.Signals): void;
}

/**
 * `setup`, when given, is a shell script run first in a private mount namespace
 * (`unshare -m`, root only), e.g. to put the database on a tiny or read-only tmpfs; the server
 * then replaces the shell (node mode).
 */
export function spawnCli(args: string[], mode: 'npx' | 'node' = 'npx', env: Record<string, string> = {}, setup?: string): CliProcess {
  const node = [process.execPath, '--import', 'tsx', 'src/cli.ts', ...args];
  const [command, argv]: [string, string[]] =
    setup !== undefined
      ? ['unshare', ['-m', 'sh', '-ec', `${setup}\nexec "$@"`, 'sh', ...node]]
      : mode === 'npx'
        ? ['npx', ['tsx', 'src/cli.ts', ...args]]
        : [node[0]!, node.slice(1)];
  const child = spawn(command, argv, { cwd: ROOT, detached: mode === 'npx', stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
  let text = '';
  child.stdout!.on('data', (d: Buffer) => (text += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (text += d.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((res) => child.once('exit', (code, signal) => res({ code, signal })));
  const url = new Promise<string>((res, rej) => {
    const onData = (): void => {
      // A plain line ("listening on URL"), or a JSON record {"url": URL, "msg": "listening"}.
      const match = /listening on (http:\/\/\S+)/.exec(text) ?? /"url":"(http:\/\/[^"]+)"/.exec(text);
      if (match) res(match[1]!);
    };
    child.stdout!.on('data', onData);
    void exited.then(() => rej(new Error(`the server exited before listening:\n${text}`)));
    setTimeout(() => rej(new Error(`the server did not start in 60 s:\n${text}`)), 60_000).unref();
  });
  url.catch(() => undefined);
  return {
    child,
    output: () => text,
    url,
    exited,
    kill(signal) {
      if (child.exitCode !== null || child.signalCode !== null) return;
      if (mode === 'npx') process.kill(-child.pid!, signal);
      else child.kill(signal);
    },
  };
}
