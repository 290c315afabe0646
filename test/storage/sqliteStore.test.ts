import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SqliteStore } from '../../src/storage/index.js';
import type { LogAppend } from '../../src/storage/index.js';
import { migrateSqlite, SQLITE_SCHEMA_VERSION } from '../../src/storage/sqliteSchema.js';
import { storeConformance } from './conformance.js';
import { bytes, chainEntry, envelope, expectCode, logChain, newAccount, pullAll, pullItems } from './fixtures.js';

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

  it('two connections on one file: one log append per position wins, and a cut sees the other connection\'s appends', async () => {
    const a = await SqliteStore.open(path);
    const b = await SqliteStore.open(path);
    const id = await newAccount(a);
    const device = bytes(16);
    const [c1] = logChain(device, 1) as [LogAppend];
    const rival = { ...c1, hash: bytes(32), bytes: bytes(100) };
    const results = await Promise.allSettled([a.putEnvelopes(id, [envelope()], c1), b.putEnvelopes(id, [envelope()], rival)]);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    expect((results.find((r) => r.status === 'rejected') as PromiseRejectedResult).reason.code).toBe('LOG_CONFLICT');
    const winner = results[0]?.status === 'fulfilled' ? c1 : rival;
    expect(await b.logHead(id, device)).toEqual(await a.logHead(id, device));
    const [next] = logChain(device, 1, 100, 2, winner.hash) as [LogAppend];
    const head = await a.chainHead(id);
    await expectCode(b.appendChain(id, head.hash, chainEntry(1), { device, position: 0, hash: null }), 'LOG_CUT_STALE');
    await a.putEnvelopes(id, [], next);
    await expectCode(b.appendChain(id, head.hash, chainEntry(1), { device, position: 1, hash: winner.hash }), 'LOG_CUT_STALE');
    await b.appendChain(id, head.hash, chainEntry(1), { device, position: 2, hash: next.hash });
    expect((await a.chainHead(id)).index).toBe(1);
    await a.close();
    await b.close();
  });

  it('migrating a version-1 file keeps its envelopes and their cursors, and never reuses a cursor', async () => {
    const raw = new Database(path);
    migrateSqlite(raw, 1);
    const id = bytes(32);
    const account = raw.prepare('INSERT INTO accounts (account_id, head_index, head_hash) VALUES (?, 0, ?)').run(id, bytes(32));
    const no = Number(account.lastInsertRowid);
    raw.prepare('INSERT INTO chain (account_no, idx, hash, bytes) VALUES (?, 0, ?, ?)').run(no, bytes(32), bytes(40));
    const insert = raw.prepare(
      'INSERT INTO envelopes (account_no, record_id, revision, sender, kind, expiry_day, bytes) VALUES (?, ?, 1, ?, ?, 0, ?)',
    );
    const rows = [envelope(), envelope({ kind: 'tombstone' }), envelope()];
    for (const e of rows) insert.run(no, e.recordId, e.sender, e.kind, e.bytes);
    // The newest row goes: its cursor must still never be handed out again.
    raw.prepare('DELETE FROM envelopes WHERE cursor = 3').run();
    raw.prepare('UPDATE accounts SET bytes_used = 128, envelope_count = 2 WHERE account_no = ?').run(no);
    raw.close();
    const store = await SqliteStore.open(path);
    const kept = await pullAll(store, id);
    expect(kept.map((e) => e.cursor)).toEqual([1, 2]);
    expect(kept.map(({ cursor: _cursor, ...e }) => e)).toEqual(rows.slice(0, 2));
    expect(await store.usage(id)).toEqual({ bytes: 128, envelopes: 2 });
    await store.putEnvelopes(id, [envelope()], logChain(bytes(16), 1)[0]);
    expect((await pullItems(store, id, 2)).map((item) => [item.kind, item.cursor])).toEqual([
      ['log', 4],
      ['record', 5],
    ]);
    await store.close();
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
