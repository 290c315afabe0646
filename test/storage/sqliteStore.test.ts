import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SqliteStore } from '../../src/storage/index.js';
import { SQLITE_SCHEMA_VERSION } from '../../src/storage/sqliteSchema.js';
import { storeConformance } from './conformance.js';
import { bytes, chainEntry, envelope, expectCode, newAccount, pullAll } from './fixtures.js';

function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'mks-sqlite-'));
}

storeConformance('SqliteStore', async (limits) => {
  const dir = tempDir();
  const store = await SqliteStore.open(join(dir, 'store.sqlite'), limits);
  return {
    store,
    async cleanup() {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
});

describe('SqliteStore file', () => {
  let dir: string;
  let path: string;
  beforeEach(() => {
    dir = tempDir();
    path = join(dir, 'store.sqlite');
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('keeps everything across close and reopen, and never reuses a cursor', async () => {
    const first = await SqliteStore.open(path);
    const id = await newAccount(first);
    const e = envelope();
    await first.putEnvelopes(id, [envelope(), e]);
    // Replace the newest row: its cursor must not come back after reopening.
    await first.putEnvelopes(id, [{ ...e, revision: 2 }]);
    const before = await pullAll(first, id);
    await first.close();
    const second = await SqliteStore.open(path);
    expect(await pullAll(second, id)).toEqual(before);
    await second.putEnvelopes(id, [envelope()]);
    const after = await pullAll(second, id);
    expect((after[2] as { cursor: number }).cursor).toBeGreaterThan((before[1] as { cursor: number }).cursor);
    await second.close();
  });

  it('uses WAL, stamps user_version, and refuses a file from a newer schema', async () => {
    await (await SqliteStore.open(path)).close();
    const raw = new Database(path);
    expect(raw.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(raw.pragma('user_version', { simple: true })).toBe(SQLITE_SCHEMA_VERSION);
    raw.pragma(`user_version = ${SQLITE_SCHEMA_VERSION + 1}`);
    raw.close();
    await expectCode(SqliteStore.open(path), 'SCHEMA_TOO_NEW');
  });

  it('refuses a bad synchronous option', async () => {
    await expectCode(SqliteStore.open(path, { synchronous: 'OFF' as 'FULL' }), 'INVALID_ARGUMENT');
  });

  it('reports an unusable path as STORE_FAILURE', async () => {
    await expectCode(SqliteStore.open(join(dir, 'missing', 'dir', 'x.sqlite')), 'STORE_FAILURE');
  });

  it('two connections on one file: appends stay compare-and-swap, cursors keep growing', async () => {
    const a = await SqliteStore.open(path);
    const b = await SqliteStore.open(path);
    const id = await newAccount(a);
    const head = await b.chainHead(id);
    await a.appendChain(id, head.hash, chainEntry(1));
    await expectCode(b.appendChain(id, head.hash, chainEntry(1)), 'CHAIN_CONFLICT');
    await a.putEnvelopes(id, [envelope()]);
    await b.putEnvelopes(id, [envelope()]);
    await a.putEnvelopes(id, [envelope()]);
    const cursors = (await pullAll(b, id)).map((e) => e.cursor);
    expect(cursors).toHaveLength(3);
    expect([...cursors].sort((x, y) => x - y)).toEqual(cursors);
    await a.close();
    await b.close();
  });

  for (const synchronous of ['FULL', 'NORMAL'] as const) {
    it(`an acknowledged push survives SIGKILL of the writer (synchronous=${synchronous})`, async () => {
      const setup = await SqliteStore.open(path);
      const id = bytes(32);
      await setup.createAccount(id, chainEntry(0));
      await setup.close();
      const child = spawn(
        process.execPath,
        ['--import', 'tsx', fileURLToPath(new URL('./sqliteCrashChild.ts', import.meta.url)), path, Buffer.from(id).toString('hex'), synchronous],
        { stdio: ['ignore', 'pipe', 'inherit'] },
      );
      const acked = await new Promise<number>((resolve, reject) => {
        let out = '';
        child.stdout.on('data', (chunk: Buffer) => {
          out += chunk.toString();
          const match = /acked (\d+)/.exec(out);
          if (match) resolve(Number(match[1]));
        });
        child.once('exit', (code) => reject(new Error(`child exited early with ${code}`)));
      });
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGKILL');
      await exited;
      const reopened = await SqliteStore.open(path);
      const all = await pullAll(reopened, id);
      expect(all).toHaveLength(50);
      expect((all[49] as { cursor: number }).cursor).toBe(acked);
      await reopened.close();
    });
  }
});
