/**
 * The server-blind test: call records with distinctive phone numbers, durations, start times
 * and device names are synced through a server on SQLite, each push with its device's signed log
 * checkpoint (record ids, revisions, H, pair-key ciphertexts); then the raw database file and its
 * WAL, every line the server logged, every HTTP body and header on the wire, and the checkpoints
 * themselves are searched for those values in every encoding we can think of. None may appear.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { encodeCanonical } from '../../src/core/cbor.js';
import { isCheckpoint } from '../../src/core/logCheckpoint.js';
import { open } from '../../src/core/open.js';
import { createServer, type SyncServer } from '../../src/server/createServer.js';
import { SqliteStore } from '../../src/storage/sqliteStore.js';
import { envelopesOf } from '../support/items.js';
import { createAccount, pushFrom, sealFrom, type TestAccount } from './harness.js';

const DEVICE_NAMES = ['Ana’s iPhone 15 Pro', 'Work ThinkPad X1 Carbon', 'Kitchen iPad (Grandma)'];
const CALLS = [
  { peer: '+14155550199', startedAt: 1_712_345_678_901, durationSec: 73_841 },
  { peer: '+447700900461', startedAt: 1_699_887_766_554, durationSec: 80_001 },
  { peer: '+33612345678', startedAt: 1_705_432_109_876, durationSec: 65_999 },
  { peer: '+4915123456789', startedAt: 1_688_776_655_443, durationSec: 86_399 },
];

const utf8 = (s: string) => new TextEncoder().encode(s);
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

/** Base64 of `bytes` at each of the three alignments, trimmed to the characters that do not depend on neighbours. */
function base64Forms(bytes: Uint8Array): string[] {
  const out: string[] = [];
  for (let shift = 0; shift < 3; shift++) {
    const padded = Buffer.concat([Buffer.alloc(shift), Buffer.from(bytes)]);
    const full = padded.toString('base64');
    const start = Math.ceil((shift * 4) / 3);
    const end = Math.floor(((shift + bytes.length) * 4) / 3);
    const core = full.slice(start, end);
    out.push(core, core.replace(/\+/g, '-').replace(/\//g, '_'));
  }
  return out.filter((s) => s.length >= 6);
}

/** Every form of a text value worth searching for. */
function textNeedles(value: string): Array<[string, Uint8Array]> {
  const bytes = utf8(value);
  const forms: Array<[string, Uint8Array]> = [
    ['utf-8', bytes],
    ['utf-16le', Buffer.from(value, 'utf16le')],
    ['hex', utf8(hex(bytes))],
    ['HEX', utf8(hex(bytes).toUpperCase())],
    ['cbor', encodeCanonical(value)],
  ];
  for (const b64 of base64Forms(bytes)) forms.push(['base64', utf8(b64)]);
  if (value.startsWith('+')) forms.push(['digits', utf8(value.slice(1))]);
  return forms;
}

/**
 * A number written as text. Under 8 characters, a bare digit string turns up by chance in the
 * text this test searches (hex nonces and signatures in headers, millisecond times in the log
 * and the URLs: a 5-digit needle about once in twenty runs), so a short one is searched for as a
 * field's value, the way a leak would write it: after `:`, `: ` or `=`, or in quotes.
 */
function textNumberNeedles(form: string, text: string): Array<[string, Uint8Array]> {
  if (text.length >= 8) return [[form, utf8(text)]];
  return [`:${text}`, `: ${text}`, `=${text}`, `"${text}"`].map((t) => [`${form} field`, utf8(t)]);
}

/** Every distinctive form of an integer. */
function numberNeedles(n: number): Array<[string, Uint8Array]> {
  const forms: Array<[string, Uint8Array]> = [...textNumberNeedles('decimal', String(n)), ...textNumberNeedles('hex', n.toString(16)), ['cbor', encodeCanonical(n)]];
  const f64 = Buffer.alloc(8);
  f64.writeDoubleBE(n);
  forms.push(['float64 BE', f64]);
  if (n > 0xffffffff) {
    const u64 = Buffer.alloc(8);
    u64.writeBigUInt64BE(BigInt(n));
    forms.push(['u64 BE', u64], ['seconds', utf8(String(Math.floor(n / 1000)))]);
  }
  // At least 5 bytes: a 4-byte pattern (a bare u32) turns up by chance in the few MB of
  // ciphertext this test stores about once in a hundred runs, and then in the WAL, the database
  // and the wire at once (one envelope); 5 bytes make that about once in 25,000.
  return forms.filter(([, b]) => b.length >= 5);
}

const dir = mkdtempSync(join(tmpdir(), 'mks-blind-'));
const dbPath = join(dir, 'data.sqlite');
let server: SyncServer | undefined;
afterAll(async () => {
  await server?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('the server learns nothing from what it stores, logs or carries', () => {
  it('no phone number, duration, start time or device name appears in the database, its WAL, the log or the wire', async () => {
    const store = await SqliteStore.open(dbPath);
    const logs: string[] = [];
    server = createServer({ store, log: (line) => logs.push(line), limits: { requestsPerSecond: Infinity, anonymousPerSecond: Infinity, ipPerSecond: Infinity } });
    const { url } = await server.listen(0);

    const wire: Uint8Array[] = [];
    const capture: typeof fetch = async (input, init) => {
      wire.push(utf8(String(input)));
      for (const [k, v] of Object.entries((init?.headers ?? {}) as Record<string, string>)) wire.push(utf8(`${k}: ${v}`));
      if (init?.body instanceof Uint8Array) wire.push(new Uint8Array(init.body));
      const response = await fetch(input, init);
      wire.push(new Uint8Array(await response.clone().arrayBuffer()));
      response.headers.forEach((v, k) => wire.push(utf8(`${k}: ${v}`)));
      return response;
    };

    const account: TestAccount = await createAccount(url, 3, { fetch: capture });
    // Each device writes the calls it saw, with its own name inside the sealed body.
    for (let d = 0; d < 3; d++) {
      const envelopes = CALLS.map((call, i) =>
        sealFrom(account, d, {
          collection: 'calls',
          deviceName: DEVICE_NAMES[d],
          record: { service: 'phone', direction: i % 2 ? 'outgoing' : 'incoming', answered: true, ...call },
        }),
      );
      expect(await pushFrom(account, d, envelopes)).toEqual(['stored', 'stored', 'stored', 'stored']);
    }
    // Every device reads everything back and opens it: the sync really happened.
    let checkpoints: Uint8Array[] = [];
    for (let d = 0; d < 3; d++) {
      const page = await account.clients[d]!.pull(0, 100);
      const keys = account.keys.lookup(account.devices[d]!);
      const names = envelopesOf(page.items).map((e) => (open(account.devices[d]!, account.accountId, keys, e)!.body as { deviceName: string }).deviceName);
      expect(new Set(names)).toEqual(new Set(DEVICE_NAMES));
      checkpoints = page.items.filter(isCheckpoint);
    }
    // One checkpoint per device, each claiming its four records and carrying its pair-key ciphertexts.
    expect(checkpoints).toHaveLength(3);
    await account.clients[1]!.wait(1_000_000, 50);

    const wal = `${dbPath}-wal`;
    expect(existsSync(wal)).toBe(true);
    const duringRun = [readFileSync(dbPath), readFileSync(wal)];
    await server.close();
    server = undefined;
    const afterClose = [readFileSync(dbPath), ...(existsSync(wal) ? [readFileSync(wal)] : [])];

    const haystacks: Array<[string, Uint8Array]> = [
      ['database while running', duringRun[0]!],
      ['WAL while running', duringRun[1]!],
      ...afterClose.map((b, i): [string, Uint8Array] => [i === 0 ? 'database after close' : 'WAL after close', b]),
      ['server log', utf8(logs.join('\n'))],
      ['HTTP wire', Buffer.concat(wire)],
      ['log checkpoints', Buffer.concat(checkpoints)],
    ];
    // Controls: the search sees real data (the sender ids are public and stored; logs exist), and
    // it covers the checkpoints: each is stored whole and crossed the wire whole.
    const inDatabase = (bytes: Uint8Array) => duringRun.some((file) => Buffer.from(file).includes(Buffer.from(bytes)));
    expect(inDatabase(account.devices[2]!.id)).toBe(true);
    for (const checkpoint of checkpoints) {
      expect(inDatabase(checkpoint)).toBe(true);
      expect(Buffer.concat(wire).includes(Buffer.from(checkpoint))).toBe(true);
    }
    expect(logs.length).toBeGreaterThan(5);

    const needles: Array<[string, string, Uint8Array]> = [];
    for (const name of DEVICE_NAMES) for (const [form, b] of textNeedles(name)) needles.push([name, form, b]);
    for (const call of CALLS) {
      for (const [form, b] of textNeedles(call.peer)) needles.push([call.peer, form, b]);
      for (const [form, b] of numberNeedles(call.startedAt)) needles.push([String(call.startedAt), form, b]);
      for (const [form, b] of numberNeedles(call.durationSec)) needles.push([String(call.durationSec), form, b]);
    }
    // Control: the same search run over a plaintext encoding of a record finds every field.
    const plain = Buffer.from(encodeCanonical({ deviceName: DEVICE_NAMES[0], record: CALLS[0] }));
    for (const value of [DEVICE_NAMES[0]!, CALLS[0]!.peer, String(CALLS[0]!.startedAt), String(CALLS[0]!.durationSec)]) {
      expect(needles.some(([v, form, n]) => v === value && form === 'cbor' && plain.includes(Buffer.from(n)))).toBe(true);
    }
    // And over a log line that writes a record as JSON, for the short numbers searched as fields.
    const logged = Buffer.from(JSON.stringify({ msg: 'push', record: CALLS[1] }));
    const duration = String(CALLS[1]!.durationSec);
    expect(needles.some(([v, form, n]) => v === duration && form === 'decimal field' && logged.includes(Buffer.from(n)))).toBe(true);
    const found: string[] = [];
    for (const [where, hay] of haystacks) {
      const buf = Buffer.from(hay.buffer, hay.byteOffset, hay.byteLength);
      for (const [value, form, needle] of needles) if (buf.includes(Buffer.from(needle))) found.push(`${value} as ${form} in ${where}`);
    }
    expect(found).toEqual([]);
  });
});
