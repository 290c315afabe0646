/** docs/protocol.md §25 → logs.json: the phone's first three log checkpoints (the first at position 1
 * with pair keys, the second with every section, the third empty), with their bytes, signing input,
 * signature and hash; checkpoints that must not decode; and signatures that must not verify.
 */
import { concatBytes } from '../../src/crypto/bytes.js';
import { labelled } from '../../src/crypto/kdf.js';
import { LABELS } from '../../src/crypto/labels.js';
import type { CryptoProvider } from '../../src/crypto/provider.js';
import { signAsProtocol, type Device } from '../../src/core/device.js';
import {
  checkpointHash,
  decodeCheckpoint,
  MAX_CHECKPOINT_BYTES,
  NO_PREVIOUS,
  signCheckpoint,
  verifyCheckpointSignature,
  type Checkpoint,
  type CheckpointFields,
} from '../../src/core/logCheckpoint.js';
import { makeKeyStatement } from '../../src/core/keyStatement.js';
import { phoneEpoch1Seed } from './pairkeys.js';
import {
  BACKENDS,
  check,
  drbg,
  flip,
  hex,
  LAPTOP,
  outcome,
  PHONE,
  sameBytes,
  sameValue,
  TABLET,
  UPPER_T0,
  withByte,
  type DeviceSet,
  type PairKeyFixture,
} from './shared.js';

const FIXED_BYTES = 103;

function u16At(bytes: Uint8Array, at: number, value: number): Uint8Array {
  const out = bytes.slice();
  new DataView(out.buffer).setUint16(at, value);
  return out;
}

/** The checkpoint's fields as JSON; device ids also by devices.json index where they are one. */
function fieldsJson(f: CheckpointFields, indexOf: (id: Uint8Array) => number | null) {
  return {
    sender: indexOf(f.sender),
    senderId: hex(f.sender),
    position: f.position,
    prev: hex(f.prev),
    chainHead: hex(f.chainHead),
    time: f.time,
    historyRequest: f.historyRequest === undefined ? null : { device: indexOf(f.historyRequest), deviceId: hex(f.historyRequest) },
    statement: f.statement === undefined ? null : hex(f.statement),
    claims: f.claims.map((c) => ({ recordId: hex(c.recordId), revision: c.revision, kind: c.kind, expiryDay: c.expiryDay, hash: hex(c.hash) })),
    purges: f.purges.map((p) => ({ recordId: hex(p.recordId), upToRevision: p.upToRevision })),
    pairKeys: f.pairKeys.map((k) => ({ recipient: indexOf(k.recipient), recipientId: hex(k.recipient), epoch: k.epoch, ciphertext: hex(k.ciphertext) })),
    seen: f.seen.map((s) => ({ device: indexOf(s.device), deviceId: hex(s.device), position: s.position, hash: hex(s.hash) })),
  };
}

/** logs.json for the phone of `set`, publishing the pair keys of `keys` and `later` (pairkeys.json). */
export function logsVectors(set: DeviceSet, suite: CryptoProvider, keys: PairKeyFixture[][], later: PairKeyFixture): object {
  const devs = set.byBackend.sodium;
  const phone = devs[PHONE]!;
  const account = drbg(suite, 'logs/account')(32);
  const chainHead = drbg(suite, 'logs/chain-head')(32);
  const rnd = drbg(suite, 'logs/claims');
  const indexOf = (id: Uint8Array) => {
    const i = devs.findIndex((d) => hex(d.id) === hex(id));
    return i < 0 ? null : i;
  };
  const recordA = rnd(16);
  const recordB = rnd(16);

  // Position 1: the phone's first push establishes its pair keys (ref 1) toward the five devices it seals for.
  const first: CheckpointFields = {
    sender: phone.id,
    position: 1,
    prev: NO_PREVIOUS,
    chainHead,
    time: UPPER_T0 + 60_000,
    claims: [{ recordId: recordA, revision: 1, kind: 'record', expiryDay: 20_346, hash: rnd(32) }],
    purges: [],
    pairKeys: [0, 1, 2, 3, 4].map((r) => {
      const k = keys[PHONE]![r]!;
      check(k.ref === 1, 'the phone establishes its pair keys at position 1');
      return { recipient: devs[r]!.id, epoch: k.epoch, ciphertext: k.ciphertext };
    }),
    seen: [],
  };
  const cp1 = signCheckpoint(phone, account, first);

  // Position 2: every section. The phone begins epoch 1 (its statement) and establishes toward itself there.
  const statement1 = makeKeyStatement(phone, 1, phoneEpoch1Seed(suite)).bytes;
  check(later.ref === 2 && later.epoch === 1 && later.sender === PHONE && later.recipient === PHONE, 'the later pair key is the phone\'s own at position 2');
  const second: CheckpointFields = {
    sender: phone.id,
    position: 2,
    prev: cp1.hash,
    chainHead,
    time: UPPER_T0 + 8 * 86_400_000,
    historyRequest: devs[LAPTOP]!.id,
    statement: statement1,
    claims: [
      { recordId: recordA, revision: 2, kind: 'tombstone', expiryDay: 65_535, hash: rnd(32) },
      { recordId: recordB, revision: 0xffff_ffff, kind: 'record', expiryDay: 0, hash: rnd(32) },
    ],
    purges: [
      { recordId: recordA, upToRevision: 1 },
      { recordId: rnd(16), upToRevision: 0xffff_ffff },
    ],
    pairKeys: [{ recipient: phone.id, epoch: 1, ciphertext: later.ciphertext }],
    seen: [
      { device: devs[LAPTOP]!.id, position: 7, hash: drbg(suite, 'logs/laptop-head')(32) },
      { device: devs[TABLET]!.id, position: 0xffff_ffff, hash: drbg(suite, 'logs/tablet-head')(32) },
    ],
  };
  const cp2 = signCheckpoint(phone, account, second);

  // Position 3: nothing to say (the smallest checkpoint, 167 bytes), the largest time allowed.
  const third: CheckpointFields = { sender: phone.id, position: 3, prev: cp2.hash, chainHead, time: Number.MAX_SAFE_INTEGER, claims: [], purges: [], pairKeys: [], seen: [] };
  const cp3 = signCheckpoint(phone, account, third);
  check(cp3.bytes.length === FIXED_BYTES + 64, 'the smallest checkpoint is 167 bytes');

  const checkpoints = [
    { name: 'position 1: a claim and five pair keys', cp: cp1 },
    { name: 'position 2: every section (history request, key statement, claims, purges, a pair key, seen heads)', cp: cp2 },
    { name: 'position 3: no section, time 2^53 − 1', cp: cp3 },
  ];
  for (const { name, cp } of checkpoints) {
    const unsigned = cp.bytes.subarray(0, cp.bytes.length - 64);
    sameBytes(cp.hash, suite.blake2b(32, labelled(LABELS.logCheckpointHash, account, cp.bytes)), `hash of "${name}"`);
    for (const b of BACKENDS) {
      const d = set.byBackend[b][PHONE]!;
      const again = signCheckpoint(d, account, cp);
      sameBytes(again.bytes, cp.bytes, `"${name}" on ${b}`);
      const decoded = decodeCheckpoint(d.suite, account, cp.bytes);
      sameBytes(decoded.hash, cp.hash, `"${name}" hash on ${b}`);
      check(sameValue(fieldsJson(decoded, indexOf), fieldsJson(cp, indexOf)), `"${name}" decodes to its fields on ${b}`);
      verifyCheckpointSignature(d.suite, account, decoded, d.public.identityKey);
      check(d.suite.ed25519Verify(cp.signature, labelled(LABELS.logCheckpoint, account, unsigned), d.public.identityKey), `"${name}" signature on ${b}`);
    }
  }

  // Decodings that must be refused. Each is signed again over its altered bytes where it is long
  // enough to carry a signature, so that only the refusal under test is wrong.
  const resign = (bytes: Uint8Array): Uint8Array => {
    if (bytes.length < FIXED_BYTES + 64) return bytes;
    const out = bytes.slice();
    out.set(signAsProtocol(phone, LABELS.logCheckpoint, concatBytes(account, out.subarray(0, out.length - 64))), out.length - 64);
    return out;
  };
  const b1 = cp1.bytes;
  const b2 = cp2.bytes;
  const b3 = cp3.bytes;
  // Offsets in the second checkpoint: history request 103, statement 119, claims 1420, purges 1530, pair keys 1570, seen 2710.
  const claimsAt2 = FIXED_BYTES + 16 + 1301;
  const purgesAt2 = claimsAt2 + 2 * 55;
  const seenAt2 = purgesAt2 + 2 * 20 + 1140;
  const pairKeysAt1 = FIXED_BYTES + 55;
  const setBytes = (bytes: Uint8Array, at: number, value: Uint8Array) => {
    const out = bytes.slice();
    out.set(value, at);
    return out;
  };
  const u32 = (n: number) => {
    const out = new Uint8Array(4);
    new DataView(out.buffer).setUint32(0, n);
    return out;
  };
  const timeAt = (bytes: Uint8Array, t: bigint) => {
    const out = bytes.slice();
    new DataView(out.buffer).setBigUint64(86, t);
    return out;
  };
  type Malformed = { name: string; why: string; checkpoint: Uint8Array; zeroFilledTo?: number };
  const malformed: Malformed[] = [
    { name: '166 bytes', why: 'the smallest checkpoint is 167 bytes', checkpoint: b3.subarray(0, 166) },
    { name: 'empty', why: 'the smallest checkpoint is 167 bytes', checkpoint: new Uint8Array(0) },
    {
      name: 'one byte over the largest possible checkpoint',
      why: `at most ${MAX_CHECKPOINT_BYTES} bytes (every section full), checked before anything is read; given as the first checkpoint's fixed part zero-filled to ${MAX_CHECKPOINT_BYTES + 1} bytes`,
      checkpoint: b3.subarray(0, FIXED_BYTES),
      zeroFilledTo: MAX_CHECKPOINT_BYTES + 1,
    },
    { name: 'magic 0x4d', why: 'byte 0 is 0x4c', checkpoint: resign(withByte(b3, 0, 0x4d)) },
    { name: 'an envelope where a checkpoint was expected', why: 'byte 0 of an envelope is its format version, 0x02', checkpoint: resign(withByte(b3, 0, 0x02)) },
    { name: 'version 2', why: 'byte 1 is 0x01', checkpoint: resign(withByte(b3, 1, 0x02)) },
    { name: 'position 0', why: 'positions start at 1', checkpoint: resign(setBytes(b1, 18, u32(0))) },
    { name: 'time 2^53', why: 'a time is at most 2^53 − 1', checkpoint: resign(timeAt(b3, 2n ** 53n)) },
    { name: 'time 2^64 − 1', why: 'a time is at most 2^53 − 1', checkpoint: resign(timeAt(b3, 2n ** 64n - 1n)) },
    { name: '1001 claims', why: 'at most 1000 claims (the counts are checked before the length they imply)', checkpoint: resign(u16At(b3, 94, 1001)) },
    { name: '1001 purges', why: 'at most 1000 purges', checkpoint: resign(u16At(b3, 96, 1001)) },
    { name: '257 pair keys', why: 'at most 256 pair keys', checkpoint: resign(u16At(b3, 98, 257)) },
    { name: '1025 seen heads', why: 'at most 1024 seen heads', checkpoint: resign(u16At(b3, 100, 1025)) },
    { name: 'flag bit 2', why: 'only bits 0 and 1 are defined', checkpoint: resign(withByte(b3, 102, 0x04)) },
    { name: 'flag bit 7', why: 'only bits 0 and 1 are defined', checkpoint: resign(withByte(b3, 102, 0x80)) },
    { name: 'one byte appended', why: 'the length must match the counts and flags', checkpoint: resign(concatBytes(b2, new Uint8Array(1))) },
    { name: 'one byte removed', why: 'the length must match the counts and flags', checkpoint: resign(concatBytes(b2.subarray(0, 200), b2.subarray(201))) },
    { name: 'one claim more than counted', why: 'the claim count says 1, the bytes hold 2 claims', checkpoint: resign(u16At(b2, 94, 1)) },
    { name: 'the statement flag cleared', why: 'the length then counts 1301 bytes too many', checkpoint: resign(withByte(b2, 102, 0x02)) },
    { name: 'a prev at position 1', why: 'the first checkpoint has an all-zero prev', checkpoint: resign(flip(b1, 53)) },
    { name: 'claim kind 2', why: 'a claim is of a record (0) or a tombstone (1)', checkpoint: resign(withByte(b2, claimsAt2 + 55 + 20, 2)) },
    { name: 'a record purged twice', why: 'one purge per record', checkpoint: resign(setBytes(b2, purgesAt2 + 20, recordA)) },
    { name: 'two pair keys for one recipient', why: "the second pair key names the first's recipient", checkpoint: resign(setBytes(b1, pairKeysAt1 + 1140, devs[PHONE]!.id)) },
    { name: 'a seen head at position 0', why: 'positions start at 1', checkpoint: resign(setBytes(b2, seenAt2 + 16, u32(0))) },
    { name: 'the sender among the seen heads', why: 'a device does not report its own head', checkpoint: resign(setBytes(b2, seenAt2, phone.id)) },
    { name: 'one device seen twice', why: 'one seen head per device', checkpoint: resign(setBytes(b2, seenAt2 + 52, devs[LAPTOP]!.id)) },
  ];
  const bytesOf = (m: Malformed) => (m.zeroFilledTo === undefined ? m.checkpoint : concatBytes(m.checkpoint, new Uint8Array(m.zeroFilledTo - m.checkpoint.length)));
  for (const m of malformed) {
    for (const b of BACKENDS) {
      const got = outcome(() => decodeCheckpoint(set.byBackend[b][PHONE]!.suite, account, bytesOf(m)));
      check(got === 'LOG_CHECKPOINT_MALFORMED', `malformed checkpoint "${m.name}" on ${b}: ${got}`);
    }
  }

  // Checkpoints that decode and whose signature must not verify.
  const otherAccount = drbg(suite, 'logs/other-account')(32);
  type BadSignature = { name: string; why: string; checkpoint: Uint8Array; account: Uint8Array; identityKey: Uint8Array };
  const badSignatures: BadSignature[] = [
    { name: 'in another account', why: 'the account is signed', checkpoint: b2, account: otherAccount, identityKey: phone.public.identityKey },
    { name: "under the laptop's identity key", why: 'the phone signed it', checkpoint: b2, account, identityKey: devs[LAPTOP]!.public.identityKey },
    { name: 'last signature byte flipped', why: 'the signature does not verify', checkpoint: flip(b2, b2.length - 1), account, identityKey: phone.public.identityKey },
    { name: 'first signature byte flipped', why: 'the signature does not verify', checkpoint: flip(b1, b1.length - 64), account, identityKey: phone.public.identityKey },
    { name: 'time byte flipped', why: 'it still decodes; every byte before the signature is signed', checkpoint: flip(b3, 93), account, identityKey: phone.public.identityKey },
    { name: "the claim's H flipped", why: 'it still decodes; every byte before the signature is signed', checkpoint: flip(b1, FIXED_BYTES + 40), account, identityKey: phone.public.identityKey },
  ];
  for (const c of badSignatures) {
    for (const b of BACKENDS) {
      const s = set.byBackend[b][PHONE]!.suite;
      const got = outcome(() => verifyCheckpointSignature(s, c.account, decodeCheckpoint(s, c.account, c.checkpoint) as Checkpoint, c.identityKey));
      check(got === 'LOG_CHECKPOINT_SIGNATURE_INVALID', `bad signature "${c.name}" on ${b}: ${got}`);
    }
  }
  check(hex(checkpointHash(suite, otherAccount, b2)) !== hex(cp2.hash), 'the hash depends on the account');

  const deviceOf = (d: Device) => indexOf(d.id);
  void deviceOf;
  return {
    description:
      'Log checkpoints (docs/protocol.md §25) of the phone (devices.json #0) in `account`; chainHead, claimed record ids and ' +
      'H, purged ids and seen-head hashes are drawn from the vector source and stand for values of other files. `fields` ' +
      'lists what each checkpoint says, devices by devices.json index where they are one. checkpoint = unsigned ‖ ' +
      'signature; signature = Ed25519(phone identity seed, signingInput), signingInput = len(label) ‖ label ‖ account ‖ ' +
      'unsigned; hash = BLAKE2b-256(hashInput), hashInput = len(hashLabel) ‖ hashLabel ‖ account ‖ checkpoint. Position 1 ' +
      'publishes the ciphertexts of the phone\'s pair keys (pairkeys.json, sender 0, ref 1); position 2 carries the ' +
      'phone\'s epoch-1 statement (devices.json → laterStatements) and its pair key toward it (pairkeys.json → ' +
      'laterEpochs, ref 2); each prev is the hash of the one before. `malformed`: bytes decodeCheckpoint refuses with ' +
      'LOG_CHECKPOINT_MALFORMED (when `zeroFilledTo` is given, the bytes are `checkpoint` followed by zeros up to that ' +
      'length); each was signed again after the alteration. `badSignatures`: checkpoints that decode in `account` and ' +
      'whose signature must not verify under `identityKey` (LOG_CHECKPOINT_SIGNATURE_INVALID).',
    version: 1,
    labels: {
      logCheckpoint: { text: LABELS.logCheckpoint, prefix: hex(labelled(LABELS.logCheckpoint)) },
      logCheckpointHash: { text: LABELS.logCheckpointHash, prefix: hex(labelled(LABELS.logCheckpointHash)) },
    },
    account: hex(account),
    maxCheckpointBytes: MAX_CHECKPOINT_BYTES,
    checkpoints: checkpoints.map(({ name, cp }) => ({
      name,
      fields: fieldsJson(cp, indexOf),
      length: cp.bytes.length,
      unsigned: hex(cp.bytes.subarray(0, cp.bytes.length - 64)),
      signingInput: hex(labelled(LABELS.logCheckpoint, account, cp.bytes.subarray(0, cp.bytes.length - 64))),
      signature: hex(cp.signature),
      checkpoint: hex(cp.bytes),
      hashInput: hex(labelled(LABELS.logCheckpointHash, account, cp.bytes)),
      hash: hex(cp.hash),
    })),
    malformed: malformed.map((m) => ({ name: m.name, why: m.why, checkpoint: hex(m.checkpoint), ...(m.zeroFilledTo === undefined ? {} : { zeroFilledTo: m.zeroFilledTo }), error: 'LOG_CHECKPOINT_MALFORMED' })),
    badSignatures: badSignatures.map((c) => ({ name: c.name, why: c.why, account: hex(c.account), identityKey: hex(c.identityKey), checkpoint: hex(c.checkpoint), error: 'LOG_CHECKPOINT_SIGNATURE_INVALID' })),
  };
}
