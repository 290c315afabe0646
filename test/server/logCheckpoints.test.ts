/**
 * What the honest server checks of the log checkpoint every push and purge carries, before it
 * stores anything: it is the pushing device's own, well-formed and signed, with any key
 * statement verifying (`LOG_INVALID`); it claims exactly the pushed envelopes, in order, with H
 * recomputed (`LOG_MISMATCH`); it extends the device's stored log by one (`LOG_CONFLICT`; the
 * same bytes again are a re-push). And what it serves: each device's log head
 * (GET logs/:device), and checkpoints before their envelopes in the one pulled stream.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeValue } from '../../src/core/cbor.js';
import { Device } from '../../src/core/device.js';
import { parseEnvelope } from '../../src/core/envelopeFormat.js';
import { makeKeyStatement } from '../../src/core/keyStatement.js';
import { decodeCheckpoint, isCheckpoint, type Checkpoint, type CheckpointFields, type Claim } from '../../src/core/logCheckpoint.js';
import { signAsProtocol } from '../../src/core/device.js';
import { concatBytes, toHex } from '../../src/crypto/bytes.js';
import { LABELS } from '../../src/crypto/labels.js';
import { MAX_REVISION_STEP } from '../../src/storage/supersession.js';
import { envelopesOf } from '../support/items.js';
import {
  callRecord,
  claimOf,
  createAccount,
  logFor,
  pushFrom,
  removeDevice,
  sealFrom,
  startServer,
  type Harness,
  type LogOptions,
  type TestAccount,
} from './harness.js';
import { errorOf, raw } from './rawRequest.js';

let h: Harness;
beforeAll(async () => {
  h = await startServer();
});
afterAll(async () => {
  await h.stop();
});

/** Everything a refused write could have changed: usage, every stored item, each log head. */
async function snapshot(account: TestAccount) {
  const page = await h.store.pullEnvelopes(account.accountId, 0, 10_000);
  const heads = await Promise.all(account.devices.map(async (d) => (await h.store.logHead(account.accountId, d.id))?.position ?? 0));
  return { usage: await h.store.usage(account.accountId), items: page.items.map((i) => i.cursor), heads };
}

function flip(bytes: Uint8Array, at: number): Uint8Array {
  const out = bytes.slice();
  out[at < 0 ? out.length + at : at]! ^= 0x01;
  return out;
}

/** `checkpoint`'s bytes with the signature `signer` makes over them, whoever the sender is. */
function resign(checkpoint: Checkpoint, signer: Device, accountId: Uint8Array): Uint8Array {
  const bytes = checkpoint.bytes.slice();
  const unsigned = bytes.subarray(0, bytes.length - 64);
  bytes.set(signAsProtocol(signer, LABELS.logCheckpoint, concatBytes(accountId, unsigned)), bytes.length - 64);
  return bytes;
}

/**
 * Device 0 pushes two envelopes with its next checkpoint, signed after `edit` changed its fields;
 * resolves with the outcomes or the error.
 */
async function pushEdited(account: TestAccount, edit: NonNullable<LogOptions['edit']>): Promise<unknown> {
  const envelopes = [sealFrom(account, 0, callRecord(1)), sealFrom(account, 0, callRecord(2))];
  const log = await logFor(account, 0, envelopes, { edit });
  return account.clients[0]!.push(envelopes, log.bytes).catch((e: unknown) => e);
}

/** The same push with the signed checkpoint's bytes damaged by `damage` after signing. */
async function pushDamaged(account: TestAccount, damage: (checkpoint: Checkpoint) => Uint8Array): Promise<unknown> {
  const envelopes = [sealFrom(account, 0, callRecord(1)), sealFrom(account, 0, callRecord(2))];
  const log = await logFor(account, 0, envelopes);
  return account.clients[0]!.push(envelopes, damage(log)).catch((e: unknown) => e);
}

describe('a checkpoint the server cannot take for the pushing device\'s own is LOG_INVALID', () => {
  let account: TestAccount;
  beforeAll(async () => {
    account = await createAccount(h.url, 2);
    await pushFrom(account, 0, [sealFrom(account, 0, callRecord(0))]);
  });

  it('a checkpoint naming another device as sender: the laptop\'s own, or one the phone signed in the laptop\'s name', async () => {
    const before = await snapshot(account);
    const envelopes = [sealFrom(account, 0, callRecord(1))];
    const laptops = await logFor(account, 1, envelopes);
    await expect(account.clients[0]!.push(envelopes, laptops.bytes)).rejects.toMatchObject({ code: 'LOG_INVALID', status: 422 });
    // Signed by the phone, so its signature verifies under the pushing device's key: only the
    // sender check keeps the phone from writing into the laptop's log.
    const inLaptopsName = resign(laptops, account.devices[0]!, account.accountId);
    await expect(account.clients[0]!.push(envelopes, inLaptopsName)).rejects.toMatchObject({ code: 'LOG_INVALID', status: 422 });
    expect(await snapshot(account)).toEqual(before);
  });

  it('a signature that does not verify: one bit flipped, or signed by a stranger under the phone\'s id', async () => {
    const before = await snapshot(account);
    expect(await pushDamaged(account, (cp) => flip(cp.bytes, -1))).toMatchObject({ code: 'LOG_INVALID', status: 422 });
    expect(await pushDamaged(account, (cp) => flip(cp.bytes, 60))).toMatchObject({ code: 'LOG_INVALID' }); // its chain head
    // A correct signature under the checkpoint label, by a key that is not the phone's.
    const stranger = await Device.generate();
    expect(await pushDamaged(account, (cp) => resign(cp, stranger, account.accountId))).toMatchObject({ code: 'LOG_INVALID' });
    expect(await snapshot(account)).toEqual(before);
  });

  it('malformed: cut short, a wrong magic, counts that do not match its length, an envelope in its place', async () => {
    const before = await snapshot(account);
    for (const damage of [
      (cp: Checkpoint) => cp.bytes.subarray(0, cp.bytes.length - 1),
      (cp: Checkpoint) => Uint8Array.of(0x4d, ...cp.bytes.subarray(1)),
      (cp: Checkpoint) => flip(cp.bytes, 95), // the claim count, 2 → 3
      (cp: Checkpoint) => flip(cp.bytes, 102), // a key statement the length does not hold
      () => sealFrom(account, 0, callRecord(4)),
      () => new Uint8Array(0),
    ]) {
      const error = await pushDamaged(account, damage);
      expect(error).toMatchObject({ code: 'LOG_INVALID', status: 422 });
      expect((error as Error).message).toContain('LOG_CHECKPOINT_MALFORMED');
    }
    expect(await snapshot(account)).toEqual(before);
  });

  it('a key statement that does not verify: another device\'s, or one bit flipped; the phone\'s own is taken', async () => {
    const before = await snapshot(account);
    const laptops = makeKeyStatement(account.devices[1]!, 1, crypto.getRandomValues(new Uint8Array(32)));
    const own = makeKeyStatement(account.devices[0]!, 1, crypto.getRandomValues(new Uint8Array(32)));
    const error = await pushEdited(account, (f) => ({ ...f, statement: laptops.bytes }));
    expect(error).toMatchObject({ code: 'LOG_INVALID', status: 422 });
    expect((error as Error).message).toContain('KEY_STATEMENT_INVALID');
    expect(await pushEdited(account, (f) => ({ ...f, statement: flip(own.bytes, 100) }))).toMatchObject({ code: 'LOG_INVALID' });
    expect(await pushEdited(account, (f) => ({ ...f, statement: flip(own.bytes, -3) }))).toMatchObject({ code: 'LOG_INVALID' });
    expect(await snapshot(account)).toEqual(before);
    expect(await pushEdited(account, (f) => ({ ...f, statement: own.bytes }))).toEqual(['stored', 'stored']);
  });

  it('a purge whose checkpoint does not verify deletes nothing', async () => {
    const before = await snapshot(account);
    const stored = envelopesOf((await account.clients[0]!.pull(0)).items);
    const log = await logFor(account, 0, [], { purges: stored.map((e) => ({ recordId: parseEnvelope(e).recordId, upToRevision: 0xffff_ffff })) });
    await expect(account.clients[0]!.purge(flip(log.bytes, -1))).rejects.toMatchObject({ code: 'LOG_INVALID', status: 422 });
    await expect(account.clients[1]!.purge(log.bytes)).rejects.toMatchObject({ code: 'LOG_INVALID' });
    expect(await snapshot(account)).toEqual(before);
  });
});

describe('a checkpoint must claim exactly the pushed envelopes, in order: LOG_MISMATCH otherwise', () => {
  let account: TestAccount;
  beforeAll(async () => {
    account = await createAccount(h.url, 2);
    await pushFrom(account, 0, [sealFrom(account, 0, callRecord(0))]);
  });

  const second = (change: (c: Claim) => Claim) => (f: CheckpointFields) => ({ ...f, claims: [f.claims[0]!, change(f.claims[1]!)] });

  it('a claim that differs from its envelope in any field: record id, revision, kind, expiry day, H', async () => {
    const before = await snapshot(account);
    for (const edit of [
      second((c) => ({ ...c, recordId: flip(c.recordId, 0) })),
      second((c) => ({ ...c, revision: c.revision + 1 })),
      second((c) => ({ ...c, kind: 'tombstone' })),
      second((c) => ({ ...c, expiryDay: c.expiryDay + 1 })),
      second((c) => ({ ...c, hash: flip(c.hash, 31) })),
    ]) {
      const error = await pushEdited(account, edit);
      expect(error).toMatchObject({ code: 'LOG_MISMATCH', status: 422 });
      expect((error as Error).message).toContain('claim 1');
    }
    expect(await snapshot(account)).toEqual(before);
  });

  it('a stanza relabelled after the checkpoint was signed: H no longer matches', async () => {
    const before = await snapshot(account);
    const envelope = sealFrom(account, 0, callRecord(5));
    const log = await logFor(account, 0, [envelope]);
    const stanza = parseEnvelope(envelope).headerAndBody.length;
    const relabelled = flip(envelope, stanza + 19); // the key ref of stanza 0, which H covers
    await expect(account.clients[0]!.push([relabelled], log.bytes)).rejects.toMatchObject({ code: 'LOG_MISMATCH' });
    expect(await snapshot(account)).toEqual(before);
  });

  it('claims in another order, or one claim too few or too many', async () => {
    const before = await snapshot(account);
    for (const edit of [
      (f: CheckpointFields) => ({ ...f, claims: [...f.claims].reverse() }),
      (f: CheckpointFields) => ({ ...f, claims: f.claims.slice(0, 1) }),
      (f: CheckpointFields) => ({ ...f, claims: [...f.claims, f.claims[0]!] }),
      (f: CheckpointFields) => ({ ...f, claims: [] }),
    ]) {
      expect(await pushEdited(account, edit)).toMatchObject({ code: 'LOG_MISMATCH', status: 422 });
    }
    expect(await snapshot(account)).toEqual(before);
  });

  it('a push whose checkpoint also purges, and a purge whose checkpoint claims envelopes or purges nothing', async () => {
    const before = await snapshot(account);
    const [stored] = envelopesOf((await account.clients[0]!.pull(0)).items);
    const purge = { recordId: parseEnvelope(stored!).recordId, upToRevision: 0xffff_ffff };
    expect(await pushEdited(account, (f) => ({ ...f, purges: [purge] }))).toMatchObject({ code: 'LOG_MISMATCH', status: 422 });
    const claiming = await logFor(account, 0, [sealFrom(account, 0, callRecord(6))], { purges: [purge] });
    await expect(account.clients[0]!.purge(claiming.bytes)).rejects.toMatchObject({ code: 'LOG_MISMATCH', status: 422 });
    const empty = await logFor(account, 0, []);
    await expect(account.clients[0]!.purge(empty.bytes)).rejects.toMatchObject({ code: 'LOG_MISMATCH' });
    expect(await snapshot(account)).toEqual(before);
  });
});

describe('a device\'s log grows one checkpoint at a time', () => {
  it('a checkpoint that skips a position, repeats one with other bytes, or names another prev is LOG_CONFLICT, and nothing is stored', async () => {
    const account = await createAccount(h.url, 2);
    const first = [sealFrom(account, 0, callRecord(1))];
    const firstLog = await logFor(account, 0, first);
    await account.clients[0]!.push(first, firstLog.bytes);
    const before = await snapshot(account);
    for (const edit of [
      (f: CheckpointFields) => ({ ...f, position: 3 }),
      (f: CheckpointFields) => ({ ...f, position: 1, prev: new Uint8Array(32) }),
      (f: CheckpointFields) => ({ ...f, prev: new Uint8Array(32).fill(9) }),
    ]) {
      expect(await pushEdited(account, edit)).toMatchObject({ code: 'LOG_CONFLICT', status: 409 });
    }
    // A purge off the head deletes nothing either.
    const purge = { recordId: parseEnvelope(first[0]!).recordId, upToRevision: 0xffff_ffff };
    const offHead = await logFor(account, 0, [], { purges: [purge], edit: (f) => ({ ...f, position: 3 }) });
    await expect(account.clients[0]!.purge(offHead.bytes)).rejects.toMatchObject({ code: 'LOG_CONFLICT', status: 409 });
    expect(await snapshot(account)).toEqual(before);
    expect((await h.store.logHead(account.accountId, account.devices[0]!.id))?.bytes).toEqual(firstLog.bytes);
  });

  it('the same push again, checkpoint byte for byte, is a duplicate at its own position, even below the head', async () => {
    const account = await createAccount(h.url, 2);
    const first = [sealFrom(account, 0, callRecord(1)), sealFrom(account, 0, callRecord(2))];
    const firstLog = await logFor(account, 0, first);
    expect(await account.clients[0]!.push(first, firstLog.bytes)).toEqual(['stored', 'stored']);
    const before = await snapshot(account);
    expect(await account.clients[0]!.push(first, firstLog.bytes)).toEqual(['duplicate', 'duplicate']);
    expect(await snapshot(account)).toEqual(before);
    await pushFrom(account, 0, [sealFrom(account, 0, callRecord(3))]);
    const later = await snapshot(account);
    expect(await account.clients[0]!.push(first, firstLog.bytes)).toEqual(['duplicate', 'duplicate']);
    expect(await snapshot(account)).toEqual(later);
  });

  it('two different checkpoints at one position pushed at once: one is stored, the other is LOG_CONFLICT', async () => {
    const account = await createAccount(h.url, 2);
    const a = [sealFrom(account, 0, callRecord(1))];
    const b = [sealFrom(account, 0, callRecord(2))];
    const [logA, logB] = await Promise.all([logFor(account, 0, a), logFor(account, 0, b)]);
    const results = await Promise.allSettled([account.clients[0]!.push(a, logA.bytes), account.clients[0]!.push(b, logB.bytes)]);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    expect(results.find((r): r is PromiseRejectedResult => r.status === 'rejected')!.reason).toMatchObject({ code: 'LOG_CONFLICT', status: 409 });
    const stored = envelopesOf((await account.clients[1]!.pull(0)).items);
    expect(stored).toEqual(results[0]!.status === 'fulfilled' ? a : b);
  });

  it('a checkpoint that claims nothing (a new key epoch, no records) is stored and moves the head', async () => {
    const account = await createAccount(h.url, 2);
    const statement = makeKeyStatement(account.devices[0]!, 1, crypto.getRandomValues(new Uint8Array(32)));
    const log = await logFor(account, 0, [], { edit: (f) => ({ ...f, statement: statement.bytes }) });
    expect(await account.clients[0]!.push([], log.bytes)).toEqual([]);
    expect((await account.clients[1]!.pull(0)).items).toEqual([log.bytes]);
    expect(await account.clients[1]!.logHead(account.devices[0]!.id)).toEqual(log.bytes);
  });
});

describe('revisions move by at most 65,536 over the stored version', () => {
  it('a bigger jump is REVISION_JUMP and stores nothing; the largest allowed step is stored', async () => {
    const account = await createAccount(h.url, 2);
    const recordId = crypto.getRandomValues(new Uint8Array(16));
    await pushFrom(account, 0, [sealFrom(account, 0, callRecord(1), { recordId, revision: 5 })]);
    const before = await snapshot(account);
    const exhausting = sealFrom(account, 1, callRecord(2), { recordId, revision: 5 + MAX_REVISION_STEP + 1 });
    await expect(pushFrom(account, 1, [exhausting])).rejects.toMatchObject({ code: 'REVISION_JUMP', status: 422 });
    await expect(pushFrom(account, 1, [sealFrom(account, 1, callRecord(2), { recordId, revision: 0xffff_ffff })])).rejects.toMatchObject({ code: 'REVISION_JUMP' });
    expect(await snapshot(account)).toEqual(before);
    const step = sealFrom(account, 1, callRecord(3), { recordId, revision: 5 + MAX_REVISION_STEP });
    expect(await pushFrom(account, 1, [step])).toEqual(['stored']);
    expect(MAX_REVISION_STEP).toBe(65_536);
  });
});

describe('GET logs/:device serves a device\'s log head', () => {
  it('null before its first checkpoint, then the newest one as pushed, to any device of the account', async () => {
    const account = await createAccount(h.url, 3);
    const laptop = account.devices[1]!.id;
    expect(await account.clients[0]!.logHead(laptop)).toBeNull();
    const firstLog = await logFor(account, 1, []);
    await account.clients[1]!.push([], firstLog.bytes);
    expect(await account.clients[0]!.logHead(laptop)).toEqual(firstLog.bytes);
    const envelopes = [sealFrom(account, 1, callRecord(1))];
    const secondLog = await logFor(account, 1, envelopes);
    await account.clients[1]!.push(envelopes, secondLog.bytes);
    for (const client of account.clients) expect(await client.logHead(laptop)).toEqual(secondLog.bytes);
    expect(decodeCheckpoint(account.devices[0]!.suite, account.accountId, secondLog.bytes).prev).toEqual(firstLog.hash);
    // A device the account does not know has no log.
    expect(await account.clients[0]!.logHead(crypto.getRandomValues(new Uint8Array(16)))).toBeNull();
  });

  it('is signed-only: unsigned is AUTH_REQUIRED, a stranger DEVICE_UNKNOWN, a removed device DEVICE_REVOKED', async () => {
    const account = await createAccount(h.url, 3);
    const path = `/v1/accounts/${toHex(account.accountId)}/logs/${toHex(account.devices[0]!.id)}`;
    expect(errorOf(await raw(h.url, 'GET', path))).toMatchObject({ status: 401, code: 'AUTH_REQUIRED' });
    const stranger = await Device.generate();
    expect(errorOf(await raw(h.url, 'GET', path, undefined, { signer: { device: stranger, accountId: account.accountId } }))).toMatchObject({ status: 401, code: 'DEVICE_UNKNOWN' });
    await removeDevice(account, 2);
    await expect(account.clients[2]!.logHead(account.devices[0]!.id)).rejects.toMatchObject({ code: 'DEVICE_REVOKED', status: 403 });
  });
});

describe('a pull is one stream of checkpoints and envelopes', () => {
  it('every checkpoint comes before the envelopes it claims, in push order, whatever the page size', async () => {
    const account = await createAccount(h.url, 2);
    const pushed: Uint8Array[] = [];
    for (const [device, n] of [[0, 3], [1, 2], [0, 1]] as const) {
      const envelopes = Array.from({ length: n }, (_, i) => sealFrom(account, device, callRecord(device * 10 + i)));
      const log = await logFor(account, device, envelopes);
      await account.clients[device]!.push(envelopes, log.bytes);
      pushed.push(log.bytes, ...envelopes);
    }
    const whole = await account.clients[1]!.pull(0, 1000);
    expect(whole.items.map(toHex)).toEqual(pushed.map(toHex));
    // Page by page, one item at a time, and through the long-poll: the same stream.
    const paged: Uint8Array[] = [];
    let cursor = 0;
    for (;;) {
      const page = await account.clients[0]!.wait(cursor, 1000, undefined, 1);
      if (page.items.length === 0) break;
      paged.push(...page.items);
      cursor = page.cursor;
    }
    expect(paged.map(toHex)).toEqual(pushed.map(toHex));
    // What a reader relies on: each envelope's H is claimed by a checkpoint it has already seen.
    const claimed = new Set<string>();
    for (const item of whole.items) {
      if (isCheckpoint(item)) for (const c of decodeCheckpoint(account.devices[0]!.suite, account.accountId, item).claims) claimed.add(toHex(c.hash));
      else expect(claimed.has(toHex(claimOf(account, item).hash))).toBe(true);
    }
  });

  // Readers tell the two apart by their first byte: a checkpoint stored as an envelope row would
  // reach them outside its device's log.
  it('a pushed body that lists the checkpoint among the envelopes is refused, not stored as an envelope', async () => {
    const account = await createAccount(h.url, 2);
    const envelopes = [sealFrom(account, 0, callRecord(1))];
    const log = await logFor(account, 0, envelopes);
    const path = `/v1/accounts/${toHex(account.accountId)}/envelopes`;
    const body = encodeValue({ envelopes: [log.bytes, ...envelopes], log: log.bytes }, { maxBytes: 1 << 20, maxDepth: 3, maxItems: 16, maxStringBytes: 1 << 20 });
    expect(errorOf(await raw(h.url, 'POST', path, body, { signer: { device: account.devices[0]!, accountId: account.accountId } }))).toMatchObject({
      status: 422,
      code: 'ENVELOPE_INVALID',
    });
    expect((await account.clients[1]!.pull(0)).items).toEqual([]);
  });
});
