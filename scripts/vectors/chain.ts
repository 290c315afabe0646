/** docs/protocol.md §18–19 → chain.json: a 13-entry device chain (format v2) with every intermediate
 * value and the state after each entry, the epoch-0 key statements it carries, accepted genesis
 * variants, must-fail appends, saved snapshots and damaged ones.
 */
import { concatBytes, fromHex } from '../../src/crypto/bytes.js';
import { labelled } from '../../src/crypto/kdf.js';
import { LABELS } from '../../src/crypto/labels.js';
import type { BackendName, CryptoProvider } from '../../src/crypto/provider.js';
import { encodeCanonical, encodeValue } from '../../src/core/cbor.js';
import { Device, signAsProtocol } from '../../src/core/device.js';
import { encodeDevicePublic, idKey } from '../../src/core/devicePublic.js';
import { KEY_STATEMENT_BYTES, makeKeyStatement } from '../../src/core/keyStatement.js';
import {
  CHAIN_ENTRY_VERSION,
  CHAIN_LABELS,
  consentBytes,
  decodeEntry,
  encodeEntry,
  entrySigningBytes,
  MAX_ENTRY_BYTES,
  signEntry,
  type ChainEntry,
  type EncodedEntry,
} from '../../src/enrollment/chainEntry.js';
import { createGenesis, deviceKeys, makeAdd, makeRemove, makeRotate, makeVeto, signConsent } from '../../src/enrollment/chainOps.js';
import { encodeChainSnapshot } from '../../src/enrollment/chainSnapshot.js';
import {
  applyEntry,
  DEFAULT_RECOVERY_DELAY_MS,
  genesisState,
  MIN_RECOVERY_DELAY_MS,
  replayChain,
  type ChainDevice,
  type ChainState,
} from '../../src/enrollment/chainState.js';
import { DeviceChain } from '../../src/enrollment/deviceChain.js';
import { EMPTY_LOG, type LogCut } from '../../src/enrollment/logCut.js';
import {
  BACKENDS,
  check,
  drbg,
  flip,
  hex,
  labelTable,
  member,
  MINUTE,
  notation,
  outcome,
  sameBytes,
  UPPER_T0,
  type Cast,
  type LowOrderCard,
} from './shared.js';

const RECOVERY_DELAY_MS = MIN_RECOVERY_DELAY_MS;
const ZERO_ACCOUNT = new Uint8Array(32);
/** Where the watch's delay ends: entry 7 is dated there, and the entries after it follow by minutes. */
const T7 = UPPER_T0 + 6 * MINUTE + RECOVERY_DELAY_MS;
/** The devices whose epoch-0 statements the chain carries (`phone-rotated` shares the phone's). */
const STATEMENT_HOLDERS = ['phone', 'laptop', 'tablet', 'watch', 'browser', 'stranger', 'recovery', 'recovery-2'] as const;

/** The chain as built, entry by entry: pairing, requests and records reuse its account, heads and entries. */
export interface BuiltChain {
  entries: EncodedEntry[];
  states: ChainState[];
  signers: string[];
  stories: string[];
  joiners: Array<string | undefined>;
}

/**
 * A cut at `position` of `device`'s log. Log checkpoints are not part of this file: the hash
 * stands for the checkpoint's, drawn from the vector source.
 */
function cutOf(suite: CryptoProvider, device: string, position: number): LogCut {
  return position === 0 ? EMPTY_LOG : { position, hash: drbg(suite, `chain/checkpoint/${device}/${position}`)(32) };
}

function buildChain(cast: Cast): BuiltChain {
  const suite = member(cast, 'phone').suite;
  const keys = (name: string) => deviceKeys(member(cast, name));
  const genesis = createGenesis(member(cast, 'phone'), { recovery: keys('recovery'), recoveryDelayMs: RECOVERY_DELAY_MS, now: UPPER_T0 });
  const built: BuiltChain = {
    entries: [genesis],
    states: [genesisState(suite, genesis)],
    signers: ['phone'],
    stories: ['the phone creates the account, naming the recovery device and a 24-hour recovery delay (the shortest allowed)'],
    joiners: [undefined],
  };
  const step = (signer: string, story: string, make: (s: ChainState) => EncodedEntry, joiner?: string) => {
    const state = built.states[built.states.length - 1]!;
    const entry = make(state);
    built.entries.push(entry);
    built.states.push(applyEntry(suite, state, entry));
    built.signers.push(signer);
    built.stories.push(story);
    built.joiners.push(joiner);
  };
  const add = (signer: string, joiner: string, at: number, role?: 'recovery') => (s: ChainState) =>
    makeAdd(member(cast, signer), s, keys(joiner), signConsent(member(cast, joiner), s.accountId), { now: at, ...(role === undefined ? {} : { role }) });
  const id = (name: string) => member(cast, name).id;
  const phone2 = member(cast, 'phone-rotated');
  const browser = member(cast, 'browser');
  step('phone', 'the phone adds the laptop (the QR pairing of pairing.json)', add('phone', 'laptop', UPPER_T0 + MINUTE), 'laptop');
  step(
    'phone-rotated',
    "the phone rotates its encryption key (devices.json #6: same identity, new key) after its log's 3rd checkpoint: lp 3, lh that checkpoint's hash",
    (s) => makeRotate(phone2, s, cutOf(suite, 'phone', 3), UPPER_T0 + 2 * MINUTE),
  );
  step('phone-rotated', "the phone removes the laptop, whose log it has read up to position 2", (s) => makeRemove(phone2, s, id('laptop'), cutOf(suite, 'laptop', 2), UPPER_T0 + 3 * MINUTE));
  step('recovery', 'the recovery device adds the tablet: pending for the 24-hour delay', add('recovery', 'tablet', UPPER_T0 + 4 * MINUTE), 'tablet');
  step('phone-rotated', "the phone vetoes the tablet's pending recovery add", (s) => makeVeto(phone2, s, built.entries[4]!.hash, UPPER_T0 + 5 * MINUTE));
  step('recovery', 'the recovery device adds the watch: pending for the 24-hour delay', add('recovery', 'watch', UPPER_T0 + 6 * MINUTE), 'watch');
  step('watch', 'the watch, active from the exact end of its delay, adds the browser', add('watch', 'browser', T7), 'browser');
  step(
    'browser',
    'the browser adds a second recovery device (new words, recovery.json case 3): a real device may add one with role recovery',
    add('browser', 'recovery-2', T7 + MINUTE, 'recovery'),
    'recovery-2',
  );
  step(
    'recovery',
    'the first recovery device, still listed beside the second, adds the stranger: every listed recovery-role device signs adds, and each such add waits the delay',
    add('recovery', 'stranger', T7 + 2 * MINUTE),
    'stranger',
  );
  step('browser', "the browser vetoes the stranger's pending add", (s) => makeVeto(browser, s, built.entries[9]!.hash, T7 + 3 * MINUTE));
  step(
    'browser',
    'the browser removes the first recovery device (new words replace old: added first, removed second); it never writes, so its cut is position 0',
    (s) => makeRemove(browser, s, id('recovery'), EMPTY_LOG, T7 + 4 * MINUTE),
  );
  step('watch', 'the watch removes itself after its 4th checkpoint (a device may remove itself while another real device stays)', (s) =>
    makeRemove(member(cast, 'watch'), s, id('watch'), cutOf(suite, 'watch', 4), T7 + 5 * MINUTE),
  );
  return built;
}

/** Statements by their hex, to name them in states (each statement is written out once, in `keyStatements`). */
type StatementNames = ReadonlyMap<string, string>;

function deviceVector(d: ChainDevice, names: StatementNames): Record<string, unknown> {
  return {
    id: hex(d.card.id),
    role: d.role,
    addedAt: d.addedAt,
    effectiveAt: d.effectiveAt,
    pendingEntry: d.pendingEntry === undefined ? null : hex(d.pendingEntry),
    card: hex(encodeDevicePublic(d.card)),
    keyStatement: names.get(hex(d.keyStatement.bytes)) ?? hex(d.keyStatement.bytes),
    rotations: d.rotations.map((r) => ({ card: hex(encodeDevicePublic(r.card)), untilPosition: r.untilPosition })),
  };
}

function stateVector(s: ChainState, names: StatementNames): object {
  const byId = (a: Record<string, unknown>, b: Record<string, unknown>) => ((a.id as string) < (b.id as string) ? -1 : 1);
  const devices = [...s.devices.values()].map((d) => deviceVector(d, names)).sort(byId);
  const removed = [...s.removed].map((k) => hex(Uint8Array.from(k, (c) => c.charCodeAt(0)))).sort();
  const removedDevices = [...s.removedDevices.values()]
    .map((d): Record<string, unknown> => ({ ...deviceVector(d, names), cut: { position: d.cut.position, hash: d.cut.hash === null ? null : hex(d.cut.hash) }, removedAt: d.removedAt, vetoed: d.vetoed }))
    .sort(byId);
  return {
    accountId: hex(s.accountId),
    head: hex(s.head),
    length: s.length,
    lastTs: s.lastTs,
    recoveryDelayMs: s.recoveryDelayMs,
    devices,
    removed,
    removedDevices,
  };
}

function unsignedOf(entry: ChainEntry): Omit<ChainEntry, 'sig'> {
  const { sig: _sig, ...rest } = entry;
  return rest;
}

function entryVector(built: BuiltChain, cast: Cast, k: number, names: StatementNames): object {
  const e = built.entries[k]!;
  const unsigned = unsignedOf(e.entry);
  const account = k === 0 ? undefined : built.states[0]!.accountId;
  const signingBytes = entrySigningBytes(account, unsigned);
  const signer = member(cast, built.signers[k]!);
  check(signer.suite.ed25519Verify(e.entry.sig, signingBytes, signer.public.identityKey), `entry ${k} signature`);
  const joiner = built.joiners[k];
  let consent = {};
  if (joiner !== undefined) {
    const bytes = consentBytes(account!, e.entry.dev!);
    check(signer.suite.ed25519Verify(e.entry.ok!, bytes, member(cast, joiner).public.identityKey), `entry ${k} consent`);
    consent = { consent: { device: joiner, signedBytes: hex(bytes), signature: hex(e.entry.ok!) } };
  }
  return {
    index: k,
    type: e.entry.t,
    signer: built.signers[k],
    story: built.stories[k],
    fields: notation(unsigned),
    unsignedCbor: hex(encodeCanonical(unsigned)),
    signingAccount: hex(account ?? ZERO_ACCOUNT),
    signingBytes: hex(signingBytes),
    ...consent,
    signature: hex(e.entry.sig),
    entry: hex(e.bytes),
    hashInput: hex(labelled(CHAIN_LABELS.entryHash, e.bytes)),
    hash: hex(e.hash),
    stateAfter: stateVector(built.states[k]!, names),
  };
}

/**
 * Each statement holder's epoch-0 X-Wing seed and statement: for devices.json's devices the third
 * 32 bytes their generate() drew, for the recovery devices the seed their words derive (recovery.json).
 */
function statementVectors(cast: Cast): Array<Record<string, unknown> & { device: string; statement: string }> {
  return STATEMENT_HOLDERS.map((name) => {
    const device = member(cast, name);
    const seed = device.epochs.get(0)!.seed;
    const statement = makeKeyStatement(device, 0, seed);
    sameBytes(statement.bytes, deviceKeys(device).keyStatement.bytes, `${name}'s epoch-0 statement`);
    return {
      device: name,
      epoch: 0,
      xwingSeed: hex(seed),
      xwingPublicKey: hex(statement.publicKey),
      signingBytes: hex(labelled(LABELS.keyStatement, statement.bytes.subarray(0, KEY_STATEMENT_BYTES - 64))),
      statement: hex(statement.bytes),
    };
  });
}

interface ChainFailCase {
  name: string;
  why: string;
  prefix: number;
  append: Uint8Array[];
  error: string;
}

function chainFailCases(built: BuiltChain, cast: Cast, low: LowOrderCard): ChainFailCase[] {
  const suite = member(cast, 'phone').suite;
  const E = built.entries;
  const account = built.states[0]!.accountId;
  const card = (name: string) => encodeDevicePublic(member(cast, name).public);
  const consentOf = (name: string) => signConsent(member(cast, name), account);
  const statementOf = (name: string) => deviceKeys(member(cast, name)).keyStatement.bytes;
  const id = (name: string) => member(cast, name).id;
  /** The fields of a correct add of `name` (card, consent, epoch-0 statement). */
  const addOf = (name: string) => ({ t: 'add', dev: card(name), ok: consentOf(name), xk: statementOf(name) });
  /**
   * An entry extending the first `prefix` entries, signed by `signer`; `fields` override the base.
   * `signAccount` null signs with the all-zero account id, as a genesis does.
   */
  const next = (prefix: number, signer: string, fields: Record<string, unknown>, signAccount: Uint8Array | null = account) => {
    const before = built.states[prefix - 1]!;
    const unsigned = { v: CHAIN_ENTRY_VERSION, i: prefix, prev: before.head, ts: before.lastTs + MINUTE, by: id(signer), ...fields };
    return signEntry(member(cast, signer), signAccount ?? undefined, stripUndefinedFields(unsigned) as Omit<ChainEntry, 'sig'>).bytes;
  };
  const genesisLike = (signer: string, fields: Record<string, unknown>, signAccount?: Uint8Array) =>
    signEntry(
      member(cast, signer),
      signAccount,
      stripUndefinedFields({ v: CHAIN_ENTRY_VERSION, t: 'genesis', i: 0, ts: UPPER_T0, dev: card('phone'), xk: statementOf('phone'), ...fields }) as Omit<ChainEntry, 'sig'>,
    ).bytes;
  const withSig = (e: EncodedEntry, sig: Uint8Array) => encodeEntry(suite, { ...e.entry, sig }).bytes;
  const cut = (device: string, position: number) => {
    const c = cutOf(suite, device, position);
    return c.hash === null ? { lp: 0 } : { lp: position, lh: c.hash };
  };
  const badBinding = (name: string) => flip(card(name), 128);
  const e1 = E[1]!.bytes;
  check(e1[1] === 0x61 && e1[2] === 0x69 && e1[3] === 0x01, 'entry 1 starts with key "i" = 1');
  const longHead = concatBytes(e1.subarray(0, 3), new Uint8Array([0x18, 0x01]), e1.subarray(4));
  const watchActive = built.states[6]!.devices.get(idKey(id('watch')))!.effectiveAt;
  // Statements that must not pass: another epoch, altered, another version, an X-Wing key out of range (correctly signed).
  const laptop = member(cast, 'laptop');
  const epoch1 = makeKeyStatement(laptop, 1, drbg(suite, 'chain/laptop/epoch-1')(32)).bytes;
  const resign = (bytes: Uint8Array) => {
    bytes.set(signAsProtocol(laptop, LABELS.keyStatement, bytes.subarray(0, KEY_STATEMENT_BYTES - 64)), KEY_STATEMENT_BYTES - 64);
    return bytes;
  };
  const version2 = statementOf('laptop').slice();
  version2[0] = 2;
  resign(version2);
  const outOfRange = statementOf('laptop').slice();
  outOfRange[21] = 0xff; // the first 12-bit coefficient of the ML-KEM part becomes 0xfff ≥ q
  outOfRange[22]! |= 0x0f;
  resign(outOfRange);
  const phoneAgain = Device.fromSecretsWith(suite, concatBytes(member(cast, 'phone').exportSecrets().subarray(0, 33), drbg(suite, 'chain/phone-rotated-again')(32)));
  const deep = encodeCanonical({ v: CHAIN_ENTRY_VERSION, t: 'add', x: [[1]] });
  const many = encodeCanonical(Object.fromEntries(Array.from({ length: 32 }, (_, k) => [`k${k}`, k])));
  const few = encodeCanonical(Object.fromEntries(Array.from({ length: 31 }, (_, k) => [`k${k}`, k])));
  const padded = (length: number) => concatBytes(e1, new Uint8Array(length - e1.length));

  return [
    // genesis
    { name: 'empty chain', why: 'there is no genesis entry', prefix: 0, append: [], error: 'CHAIN_GENESIS_INVALID' },
    { name: 'chain starting with an add', why: 'entry 1 alone: the first entry must be a genesis', prefix: 0, append: [E[1]!.bytes], error: 'CHAIN_GENESIS_INVALID' },
    { name: 'genesis with index 1', why: 'a genesis carries index 0', prefix: 0, append: [genesisLike('phone', { i: 1 })], error: 'CHAIN_GENESIS_INVALID' },
    { name: 'genesis with prev', why: 'a genesis links to nothing', prefix: 0, append: [genesisLike('phone', { prev: new Uint8Array(32) })], error: 'CHAIN_GENESIS_INVALID' },
    { name: 'genesis naming a signer', why: 'a genesis is self-signed and carries no `by`', prefix: 0, append: [genesisLike('phone', { by: id('phone') })], error: 'CHAIN_GENESIS_INVALID' },
    { name: 'genesis with a log position', why: 'lp and lh belong to remove and rotate only', prefix: 0, append: [genesisLike('phone', { lp: 0 })], error: 'CHAIN_GENESIS_INVALID' },
    { name: 'genesis with role recovery', why: 'the first device is a real device', prefix: 0, append: [genesisLike('phone', { role: 'recovery' })], error: 'CHAIN_GENESIS_INVALID' },
    {
      name: 'genesis with rxk but no recovery card',
      why: 'rxk is present exactly when rec is',
      prefix: 0,
      append: [genesisLike('phone', { rxk: statementOf('recovery') })],
      error: 'CHAIN_GENESIS_INVALID',
    },
    {
      name: 'genesis with a recovery delay 1 ms under 24 hours',
      why: 'rd is at least 86 400 000 ms when present (checked before the card and the signature)',
      prefix: 0,
      append: [genesisLike('phone', { rd: RECOVERY_DELAY_MS - 1 })],
      error: 'CHAIN_RECOVERY_DELAY_TOO_SHORT',
    },
    { name: 'genesis with a recovery delay of 0', why: 'no delay would let the words take the account at once', prefix: 0, append: [genesisLike('phone', { rd: 0 })], error: 'CHAIN_RECOVERY_DELAY_TOO_SHORT' },
    { name: 'genesis without a card', why: 'a genesis carries dev', prefix: 0, append: [genesisLike('phone', { dev: undefined })], error: 'CHAIN_ENTRY_INVALID' },
    {
      name: 'genesis whose recovery card is the first device',
      why: 'the recovery device must differ from the first device',
      prefix: 0,
      append: [genesisLike('phone', { rec: card('phone'), rxk: statementOf('phone') })],
      error: 'CHAIN_GENESIS_INVALID',
    },
    {
      name: 'genesis card with a low-order encryption key',
      why: 'the card is signed correctly but refused when decoded (checked before the signature)',
      prefix: 0,
      append: [genesisLike('phone', { dev: low.card })],
      error: 'CHAIN_CARD_INVALID',
    },
    { name: "genesis signed by the laptop's key", why: "the genesis must verify under its own card's identity key", prefix: 0, append: [genesisLike('laptop', {})], error: 'CHAIN_SIGNATURE_INVALID' },
    {
      name: 'genesis signed over a non-zero account id',
      why: 'a genesis signs with the all-zero account id (its hash is the account id)',
      prefix: 0,
      append: [genesisLike('phone', {}, account)],
      error: 'CHAIN_SIGNATURE_INVALID',
    },
    { name: 'genesis signature byte flipped', why: 'the signature covers the entry', prefix: 0, append: [withSig(E[0]!, flip(E[0]!.entry.sig, 0))], error: 'CHAIN_SIGNATURE_INVALID' },
    { name: 'genesis without a key statement', why: "xk, the first device's epoch-0 statement, is required", prefix: 0, append: [genesisLike('phone', { xk: undefined })], error: 'CHAIN_KEY_STATEMENT_INVALID' },
    {
      name: "genesis whose xk is the recovery device's statement",
      why: "a statement names its device: it must be the card's own",
      prefix: 0,
      append: [genesisLike('phone', { xk: statementOf('recovery') })],
      error: 'CHAIN_KEY_STATEMENT_INVALID',
    },
    {
      name: 'genesis with a recovery card but no rxk',
      why: "the recovery device's epoch-0 statement comes with its card",
      prefix: 0,
      append: [genesisLike('phone', { rec: card('recovery') })],
      error: 'CHAIN_KEY_STATEMENT_INVALID',
    },
    {
      name: "genesis whose rxk is the phone's statement",
      why: "rxk must be the recovery device's own statement",
      prefix: 0,
      append: [genesisLike('phone', { rec: card('recovery'), rxk: statementOf('phone') })],
      error: 'CHAIN_KEY_STATEMENT_INVALID',
    },
    // encoding and the CBOR limits
    { name: 'entry of 4097 bytes', why: 'an entry is at most 4096 bytes (checked before decoding)', prefix: 1, append: [new Uint8Array(4097)], error: 'CHAIN_ENTRY_MALFORMED' },
    {
      name: 'entry 1 followed by zero bytes up to 4097',
      why: 'the size check comes first, whatever the bytes are',
      prefix: 1,
      append: [padded(MAX_ENTRY_BYTES + 1)],
      error: 'CHAIN_ENTRY_MALFORMED',
    },
    {
      name: 'entry 1 followed by zero bytes up to exactly 4096',
      why: 'within the size limit, the CBOR reader sees one item and trailing bytes',
      prefix: 1,
      append: [padded(MAX_ENTRY_BYTES)],
      error: 'CBOR_TRAILING_BYTES',
    },
    { name: 'entry 1 with a trailing byte', why: 'not one CBOR item: the CBOR code comes through', prefix: 1, append: [concatBytes(e1, new Uint8Array(1))], error: 'CBOR_TRAILING_BYTES' },
    { name: 'entry nested three deep', why: 'depth 2 at most (a map is depth 1, a container inside it depth 2)', prefix: 1, append: [deep], error: 'CBOR_TOO_DEEP' },
    { name: 'a map of 32 pairs', why: 'at most 64 data items: the map, 32 keys and 32 values are 65', prefix: 1, append: [many], error: 'CBOR_TOO_MANY_ITEMS' },
    { name: 'a map of 31 pairs', why: '63 data items pass the CBOR limits; the map is not an entry', prefix: 1, append: [few], error: 'CHAIN_ENTRY_MALFORMED' },
    { name: 'entry that is an array', why: 'an entry is a map', prefix: 1, append: [encodeCanonical([1, 2])], error: 'CHAIN_ENTRY_MALFORMED' },
    {
      name: 'entry 1 with the index written as 0x18 0x01',
      why: 'non-shortest integer head: not canonical, so one entry could have two hashes',
      prefix: 1,
      append: [longHead],
      error: 'CHAIN_ENTRY_MALFORMED',
    },
    {
      name: 'entry 1 written by the compact (record body) encoder',
      why: 'keys in insertion order and ts as float64: decodes to the same map but is not canonical',
      prefix: 1,
      append: [encodeValue(E[1]!.entry)],
      error: 'CHAIN_ENTRY_MALFORMED',
    },
    {
      name: 'version 1',
      why: 'v must be 2: version 1 entries carried no key statements or log cuts',
      prefix: 1,
      append: [next(1, 'phone', { v: 1, t: 'add', dev: card('laptop'), ok: consentOf('laptop') })],
      error: 'CHAIN_ENTRY_MALFORMED',
    },
    { name: 'version 3', why: 'v must be 2', prefix: 1, append: [next(1, 'phone', { ...addOf('laptop'), v: 3 })], error: 'CHAIN_ENTRY_MALFORMED' },
    { name: 'unknown type', why: 't must be one of the five types', prefix: 1, append: [next(1, 'phone', { t: 'merge' })], error: 'CHAIN_ENTRY_MALFORMED' },
    {
      name: 'unknown field',
      why: 'only the listed keys may appear (device names never go on the chain)',
      prefix: 1,
      append: [next(1, 'phone', { ...addOf('laptop'), name: 'Laptop' })],
      error: 'CHAIN_ENTRY_MALFORMED',
    },
    { name: 'role outside device/recovery', why: 'role is a closed set', prefix: 1, append: [next(1, 'phone', { ...addOf('laptop'), role: 'admin' })], error: 'CHAIN_ENTRY_MALFORMED' },
    { name: 'tgt of 20 bytes', why: 'tgt is a 16-byte device id or a 32-byte entry hash', prefix: 2, append: [next(2, 'phone', { t: 'remove', tgt: new Uint8Array(20), lp: 0 })], error: 'CHAIN_ENTRY_MALFORMED' },
    { name: 'signature of 63 bytes', why: 'sig is 64 bytes', prefix: 1, append: [withSig(E[1]!, E[1]!.entry.sig.subarray(0, 63))], error: 'CHAIN_ENTRY_MALFORMED' },
    { name: 'key statement of 1300 bytes', why: 'xk is a 1301-byte byte string', prefix: 1, append: [next(1, 'phone', { ...addOf('laptop'), xk: statementOf('laptop').subarray(0, 1300) })], error: 'CHAIN_ENTRY_MALFORMED' },
    { name: 'lp of 2^32', why: 'lp is a u32', prefix: 2, append: [next(2, 'phone', { t: 'remove', tgt: id('laptop'), lp: 2 ** 32, lh: new Uint8Array(32) })], error: 'CHAIN_ENTRY_MALFORMED' },
    { name: 'lp of 1.5', why: 'lp is an unsigned integer', prefix: 2, append: [next(2, 'phone', { t: 'remove', tgt: id('laptop'), lp: 1.5, lh: new Uint8Array(32) })], error: 'CHAIN_ENTRY_MALFORMED' },
    { name: 'lh of 31 bytes', why: 'lh is a 32-byte checkpoint hash', prefix: 2, append: [next(2, 'phone', { t: 'remove', tgt: id('laptop'), lp: 2, lh: new Uint8Array(31) })], error: 'CHAIN_ENTRY_MALFORMED' },
    // links, time, the keys each type carries
    { name: 'entry 2 right after entry 0', why: 'its index is 2 and its prev names entry 1', prefix: 1, append: [E[2]!.bytes], error: 'CHAIN_BROKEN_LINK' },
    { name: 'entry 1 appended twice', why: 'index 1 where 2 is due', prefix: 2, append: [E[1]!.bytes], error: 'CHAIN_BROKEN_LINK' },
    { name: 'prev names entry 0', why: 'index 2 is right, but prev must be the hash of entry 1', prefix: 2, append: [next(2, 'phone-rotated', { t: 'rotate', dev: card('phone-rotated'), ...cut('phone', 3), prev: E[0]!.hash })], error: 'CHAIN_BROKEN_LINK' },
    { name: 'index skips one', why: 'index 3 where 2 is due', prefix: 2, append: [next(2, 'phone-rotated', { t: 'rotate', dev: card('phone-rotated'), ...cut('phone', 3), i: 3 })], error: 'CHAIN_BROKEN_LINK' },
    { name: 'add without prev', why: 'a missing prev is a broken link (rule 2)', prefix: 1, append: [next(1, 'phone', { ...addOf('laptop'), prev: undefined })], error: 'CHAIN_BROKEN_LINK' },
    { name: 'second genesis', why: "the laptop's own genesis appended as entry 1", prefix: 1, append: [createGenesis(laptop, { now: UPPER_T0 + MINUTE }).bytes], error: 'CHAIN_ENTRY_INVALID' },
    { name: 'time goes backwards', why: 'ts is 1 ms before the genesis', prefix: 1, append: [next(1, 'phone', { ...addOf('laptop'), ts: UPPER_T0 - 1 })], error: 'CHAIN_TIME_INVALID' },
    { name: 'recovery delay outside genesis', why: 'rd is fixed at genesis', prefix: 1, append: [next(1, 'phone', { ...addOf('laptop'), rd: RECOVERY_DELAY_MS })], error: 'CHAIN_ENTRY_INVALID' },
    { name: 'recovery card outside genesis', why: 'rec appears only in genesis (a new recovery device is an add with role recovery)', prefix: 1, append: [next(1, 'phone', { ...addOf('laptop'), rec: card('stranger') })], error: 'CHAIN_ENTRY_INVALID' },
    { name: 'add carrying a log position', why: 'each type carries only its own keys (rule 4)', prefix: 1, append: [next(1, 'phone', { ...addOf('laptop'), lp: 0 })], error: 'CHAIN_ENTRY_INVALID' },
    { name: 'remove carrying a role', why: 'each type carries only its own keys (rule 4)', prefix: 2, append: [next(2, 'phone', { t: 'remove', tgt: id('laptop'), lp: 0, role: 'device' })], error: 'CHAIN_ENTRY_INVALID' },
    { name: 'veto carrying a card', why: 'each type carries only its own keys (rule 4)', prefix: 5, append: [next(5, 'phone-rotated', { t: 'veto', tgt: E[4]!.hash, dev: card('tablet') })], error: 'CHAIN_ENTRY_INVALID' },
    // signers
    { name: 'add without by', why: 'no signer named is no active signer (rule 5)', prefix: 1, append: [next(1, 'phone', { ...addOf('laptop'), by: undefined })], error: 'CHAIN_SIGNER_NOT_ACTIVE' },
    { name: 'signed by a device never enrolled', why: 'the stranger is not on the list', prefix: 1, append: [next(1, 'stranger', addOf('laptop'))], error: 'CHAIN_SIGNER_NOT_ACTIVE' },
    { name: 'signed by the removed laptop', why: 'entry 3 removed it', prefix: 4, append: [next(4, 'laptop', { t: 'remove', tgt: id('phone'), lp: 0 })], error: 'CHAIN_SIGNER_NOT_ACTIVE' },
    {
      name: 'signed by the watch 1 ms before its delay ends',
      why: 'a device added by the recovery key is not active until ts + rd',
      prefix: 7,
      append: [next(7, 'watch', { ...addOf('browser'), ts: watchActive - 1 })],
      error: 'CHAIN_SIGNER_NOT_ACTIVE',
    },
    { name: 'the recovery device signs a remove', why: 'the recovery key can only add', prefix: 4, append: [next(4, 'recovery', { t: 'remove', tgt: id('phone'), lp: 0 })], error: 'CHAIN_SIGNER_NOT_ACTIVE' },
    {
      name: 'the second recovery device signs a remove',
      why: 'every device with role recovery is a recovery device: it can only add',
      prefix: 9,
      append: [next(9, 'recovery-2', { t: 'remove', tgt: id('recovery'), lp: 0 })],
      error: 'CHAIN_SIGNER_NOT_ACTIVE',
    },
    {
      name: 'the removed first recovery device adds a device',
      why: 'entry 11 removed it: its words are worthless',
      prefix: 12,
      append: [next(12, 'recovery', addOf('stranger'))],
      error: 'CHAIN_SIGNER_NOT_ACTIVE',
    },
    { name: 'the watch signs after removing itself', why: 'entry 12 removed it', prefix: 13, append: [next(13, 'watch', { t: 'remove', tgt: id('browser'), lp: 0 })], error: 'CHAIN_SIGNER_NOT_ACTIVE' },
    { name: 'signed over the all-zero account id', why: 'every entry after genesis signs with the account id', prefix: 1, append: [next(1, 'phone', addOf('laptop'), null)], error: 'CHAIN_SIGNATURE_INVALID' },
    {
      name: "`by` names the phone, the laptop's key signed",
      why: 'the signature must verify under the identity key of the device `by` names',
      prefix: 1,
      append: [next(1, 'laptop', { ...addOf('laptop'), by: id('phone') })],
      error: 'CHAIN_SIGNATURE_INVALID',
    },
    { name: 'entry 1 with a signature byte flipped', why: 'the signature covers the entry', prefix: 1, append: [withSig(E[1]!, flip(E[1]!.entry.sig, 63, 0x40))], error: 'CHAIN_SIGNATURE_INVALID' },
    // add
    { name: 'add without a card', why: 'an add carries dev', prefix: 1, append: [next(1, 'phone', { ...addOf('laptop'), dev: undefined })], error: 'CHAIN_ENTRY_INVALID' },
    { name: 'add of a card whose binding fails', why: 'every card in the chain must verify', prefix: 1, append: [next(1, 'phone', { ...addOf('laptop'), dev: badBinding('laptop') })], error: 'CHAIN_CARD_INVALID' },
    { name: 'add without consent', why: 'ok is required', prefix: 1, append: [next(1, 'phone', { ...addOf('laptop'), ok: undefined })], error: 'CHAIN_CONSENT_INVALID' },
    {
      name: 'consent for another account',
      why: "the laptop consented to joining a different account id (chain.json's account with its last byte flipped)",
      prefix: 1,
      append: [next(1, 'phone', { ...addOf('laptop'), ok: signConsent(laptop, flip(account, 31)) })],
      error: 'CHAIN_CONSENT_INVALID',
    },
    { name: 'consent signed by the approver', why: "the consent must be the new device's own signature", prefix: 1, append: [next(1, 'phone', { ...addOf('laptop'), ok: consentOf('phone') })], error: 'CHAIN_CONSENT_INVALID' },
    {
      name: "the laptop's consent for the tablet's card",
      why: 'the consent covers the exact card added',
      prefix: 1,
      append: [next(1, 'phone', { ...addOf('laptop'), ok: signAsProtocol(laptop, CHAIN_LABELS.consent, concatBytes(account, card('tablet'))) })],
      error: 'CHAIN_CONSENT_INVALID',
    },
    { name: 'add without a key statement', why: "xk, the new device's epoch-0 statement, is required (checked after the consent)", prefix: 1, append: [next(1, 'phone', { ...addOf('laptop'), xk: undefined })], error: 'CHAIN_KEY_STATEMENT_INVALID' },
    { name: "add carrying the tablet's statement", why: "the statement names another device than the card's", prefix: 1, append: [next(1, 'phone', { ...addOf('laptop'), xk: statementOf('tablet') })], error: 'CHAIN_KEY_STATEMENT_INVALID' },
    { name: "add carrying the laptop's epoch-1 statement", why: 'a statement in the chain is for epoch 0', prefix: 1, append: [next(1, 'phone', { ...addOf('laptop'), xk: epoch1 })], error: 'CHAIN_KEY_STATEMENT_INVALID' },
    {
      name: 'add whose statement has a signature byte flipped',
      why: "the statement is signed by the card's identity key",
      prefix: 1,
      append: [next(1, 'phone', { ...addOf('laptop'), xk: flip(statementOf('laptop'), KEY_STATEMENT_BYTES - 1) })],
      error: 'CHAIN_KEY_STATEMENT_INVALID',
    },
    { name: 'add whose statement has version byte 2', why: 'a key statement starts with 0x01 (this one is signed correctly)', prefix: 1, append: [next(1, 'phone', { ...addOf('laptop'), xk: version2 })], error: 'CHAIN_KEY_STATEMENT_INVALID' },
    {
      name: 'add whose statement carries an X-Wing key out of range',
      why: "correctly signed, but the ML-KEM part's first coefficient is 4095 ≥ q: nobody could encapsulate to it",
      prefix: 1,
      append: [next(1, 'phone', { ...addOf('laptop'), xk: outOfRange })],
      error: 'CHAIN_KEY_STATEMENT_INVALID',
    },
    { name: 'add of a device already on the list', why: 'the laptop is active after entry 1', prefix: 2, append: [next(2, 'phone', addOf('laptop'))], error: 'CHAIN_DEVICE_EXISTS' },
    { name: 'the removed laptop returns', why: 'a removed id can never be added again', prefix: 4, append: [next(4, 'phone-rotated', addOf('laptop'))], error: 'CHAIN_DEVICE_REMOVED' },
    { name: 'the vetoed tablet returns', why: 'a vetoed id can never be added again', prefix: 6, append: [next(6, 'phone-rotated', addOf('tablet'))], error: 'CHAIN_DEVICE_REMOVED' },
    {
      name: 'the recovery device adds a recovery device',
      why: 'the recovery key adds real devices only',
      prefix: 4,
      append: [next(4, 'recovery', { ...addOf('stranger'), role: 'recovery' })],
      error: 'CHAIN_ENTRY_INVALID',
    },
    {
      name: 'the second recovery device adds a recovery device',
      why: 'no recovery device adds recovery devices, the one a real device added included',
      prefix: 9,
      append: [next(9, 'recovery-2', { ...addOf('stranger'), role: 'recovery' })],
      error: 'CHAIN_ENTRY_INVALID',
    },
    // remove, rotate, veto
    { name: 'remove without tgt', why: 'a remove names the device it removes', prefix: 2, append: [next(2, 'phone', { t: 'remove', lp: 0 })], error: 'CHAIN_TARGET_INVALID' },
    { name: 'remove of a device not on the list', why: 'the stranger was never added', prefix: 2, append: [next(2, 'phone', { t: 'remove', tgt: id('stranger'), lp: 0 })], error: 'CHAIN_TARGET_INVALID' },
    { name: 'remove of the laptop twice', why: 'entry 3 already removed it', prefix: 4, append: [next(4, 'phone-rotated', { t: 'remove', tgt: id('laptop'), lp: 0 })], error: 'CHAIN_TARGET_INVALID' },
    { name: 'remove naming an entry hash', why: 'remove names a 16-byte device id', prefix: 2, append: [next(2, 'phone', { t: 'remove', tgt: E[1]!.hash, lp: 0 })], error: 'CHAIN_TARGET_INVALID' },
    { name: 'remove without a log position', why: 'lp is required: where the removed device stops writing', prefix: 2, append: [next(2, 'phone', { t: 'remove', tgt: id('laptop') })], error: 'CHAIN_ENTRY_INVALID' },
    { name: 'remove with lp 2 and no lh', why: 'a position above 0 comes with the hash of the checkpoint there', prefix: 2, append: [next(2, 'phone', { t: 'remove', tgt: id('laptop'), lp: 2 })], error: 'CHAIN_ENTRY_INVALID' },
    { name: 'remove with lp 0 and an lh', why: 'position 0 has no checkpoint, so no hash', prefix: 2, append: [next(2, 'phone', { t: 'remove', tgt: id('laptop'), lp: 0, lh: new Uint8Array(32) })], error: 'CHAIN_ENTRY_INVALID' },
    {
      name: 'the laptop removes the phone at its log position 2',
      why: 'the phone rotated at position 3 (entry 2): a cut never goes back before a rotation',
      prefix: 3,
      append: [next(3, 'laptop', { t: 'remove', tgt: id('phone'), ...cut('phone', 2) })],
      error: 'CHAIN_CUT_INVALID',
    },
    { name: 'the phone removes itself, its only real device', why: 'the account would be left with the recovery key alone', prefix: 1, append: [next(1, 'phone', { t: 'remove', tgt: id('phone'), lp: 0 })], error: 'CHAIN_LAST_DEVICE' },
    {
      name: 'the phone removes itself once the laptop is gone',
      why: 'no other real device is listed (the recovery key does not count)',
      prefix: 4,
      append: [next(4, 'phone-rotated', { t: 'remove', tgt: id('phone'), ...cut('phone', 5) })],
      error: 'CHAIN_LAST_DEVICE',
    },
    {
      name: 'the phone removes itself while the tablet is pending',
      why: 'a pending device is not active: it does not count (and nobody would be left to veto it)',
      prefix: 5,
      append: [next(5, 'phone-rotated', { t: 'remove', tgt: id('phone'), ...cut('phone', 5) })],
      error: 'CHAIN_LAST_DEVICE',
    },
    { name: 'rotate without a card', why: 'a rotate carries the new card', prefix: 2, append: [next(2, 'phone-rotated', { t: 'rotate', ...cut('phone', 3) })], error: 'CHAIN_ENTRY_INVALID' },
    {
      name: 'rotate to a card whose binding fails',
      why: "the new card must verify like any card in the chain",
      prefix: 2,
      append: [next(2, 'phone-rotated', { t: 'rotate', dev: badBinding('phone-rotated'), ...cut('phone', 3) })],
      error: 'CHAIN_CARD_INVALID',
    },
    {
      name: 'rotate to a card with a low-order encryption key',
      why: 'refused when the card is decoded, before any other rotate rule',
      prefix: 2,
      append: [next(2, 'phone', { t: 'rotate', dev: low.card, ...cut('phone', 3) })],
      error: 'CHAIN_CARD_INVALID',
    },
    { name: "rotate to the laptop's card", why: 'a device rotates only its own key (same identity key)', prefix: 2, append: [next(2, 'phone', { t: 'rotate', dev: card('laptop'), ...cut('phone', 3) })], error: 'CHAIN_TARGET_INVALID' },
    { name: 'rotate to the same key', why: 'a rotation must change the encryption key', prefix: 2, append: [next(2, 'phone', { t: 'rotate', dev: card('phone'), ...cut('phone', 3) })], error: 'CHAIN_TARGET_INVALID' },
    { name: 'rotate without a log position', why: 'lp is required: where the old card stops', prefix: 2, append: [next(2, 'phone-rotated', { t: 'rotate', dev: card('phone-rotated') })], error: 'CHAIN_ENTRY_INVALID' },
    { name: 'rotate with lp 3 and no lh', why: 'a position above 0 comes with the hash of the checkpoint there', prefix: 2, append: [next(2, 'phone-rotated', { t: 'rotate', dev: card('phone-rotated'), lp: 3 })], error: 'CHAIN_ENTRY_INVALID' },
    {
      name: 'the phone rotates again at log position 2',
      why: 'it rotated at position 3 (entry 2): its log positions never go back',
      prefix: 3,
      append: [signEntry(phoneAgain, account, { v: CHAIN_ENTRY_VERSION, t: 'rotate', i: 3, prev: E[2]!.hash, ts: UPPER_T0 + 3 * MINUTE, by: id('phone'), dev: encodeDevicePublic(phoneAgain.public), ...cut('phone', 2) }).bytes],
      error: 'CHAIN_CUT_INVALID',
    },
    { name: 'veto without tgt', why: 'a veto names the pending add', prefix: 5, append: [next(5, 'phone-rotated', { t: 'veto' })], error: 'CHAIN_TARGET_INVALID' },
    { name: 'veto of an ordinary add', why: 'entry 1 was not signed by the recovery key', prefix: 2, append: [next(2, 'phone', { t: 'veto', tgt: E[1]!.hash })], error: 'CHAIN_TARGET_INVALID' },
    { name: 'veto naming a device id', why: 'a veto names the 32-byte hash of the pending add', prefix: 5, append: [next(5, 'phone-rotated', { t: 'veto', tgt: id('tablet') })], error: 'CHAIN_TARGET_INVALID' },
    { name: "veto of the watch's add after its delay", why: 'entry 7 is dated at the end of the delay: nothing is pending any more', prefix: 8, append: [next(8, 'phone-rotated', { t: 'veto', tgt: E[6]!.hash })], error: 'CHAIN_TARGET_INVALID' },
    { name: 'the recovery device vetoes', why: 'the recovery key can only add', prefix: 7, append: [next(7, 'recovery', { t: 'veto', tgt: E[6]!.hash })], error: 'CHAIN_SIGNER_NOT_ACTIVE' },
  ];
}

/** Genesis entries that replay, for the cases the 13-entry chain does not show. */
function genesisVariants(cast: Cast): Array<{ name: string; why: string; entry: EncodedEntry }> {
  const phone = member(cast, 'phone');
  const recovery = deviceKeys(member(cast, 'recovery'));
  return [
    { name: 'no rd', why: 'the recovery delay is then 72 hours', entry: createGenesis(phone, { recovery, now: UPPER_T0 }) },
    { name: 'no rec (so no rxk) and no rd', why: 'an account without recovery words: only the phone is listed', entry: createGenesis(phone, { now: UPPER_T0 }) },
    {
      name: 'rd without rec',
      why: 'no recovery device yet; one a real device adds later (role recovery) waits this delay',
      entry: createGenesis(phone, { recoveryDelayMs: 2 * RECOVERY_DELAY_MS, now: UPPER_T0 }),
    },
  ];
}

function suite0(casts: Record<BackendName, Cast>): CryptoProvider {
  return member(casts.sodium, 'phone').suite;
}

function stripUndefinedFields(o: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));
}

/** chain.json, and the chain it holds (`built`) for the files after it. */
export function chainVectors(casts: Record<BackendName, Cast>, low: LowOrderCard): { json: object; built: BuiltChain } {
  const built = buildChain(casts.sodium);
  const again = buildChain(casts.noble);
  const statements = statementVectors(casts.sodium);
  const names: StatementNames = new Map(statements.map((v) => [v.statement, v.device]));
  built.entries.forEach((e, k) => sameBytes(again.entries[k]!.bytes, e.bytes, `chain entry ${k} on noble`));
  const bytes = built.entries.map((e) => e.bytes);
  for (const b of BACKENDS) {
    const suite = member(casts[b], 'phone').suite;
    for (let k = 0; k < bytes.length; k++) {
      const state = replayChain(suite, bytes.slice(0, k + 1));
      check(JSON.stringify(stateVector(state, names)) === JSON.stringify(stateVector(built.states[k]!, names)), `replayed state ${k} on ${b}`);
      sameBytes(decodeEntry(suite, bytes[k]!).hash, built.entries[k]!.hash, `decoded hash ${k} on ${b}`);
    }
  }
  const fails = chainFailCases(built, casts.sodium, low);
  for (const c of fails) {
    for (const b of BACKENDS) {
      const suite = member(casts[b], 'phone').suite;
      const got = outcome(() => replayChain(suite, [...bytes.slice(0, c.prefix), ...c.append]));
      check(got === c.error, `chain must-fail "${c.name}" on ${b}: expected ${c.error}, got ${got}`);
    }
  }
  check(new Set(fails.map((c) => c.name)).size === fails.length, 'chain must-fail names are unique');

  const variants = genesisVariants(casts.sodium).map((g) => {
    for (const b of BACKENDS) {
      const suite = member(casts[b], 'phone').suite;
      sameBytes(genesisVariants(casts[b]).find((x) => x.name === g.name)!.entry.bytes, g.entry.bytes, `genesis variant "${g.name}" on ${b}`);
      check(JSON.stringify(stateVector(replayChain(suite, [g.entry.bytes]), names)) === JSON.stringify(stateVector(genesisState(suite, g.entry), names)), `genesis variant "${g.name}" replays on ${b}`);
    }
    return { name: g.name, why: g.why, fields: notation(unsignedOf(g.entry.entry)), entry: hex(g.entry.bytes), stateAfter: stateVector(genesisState(suite0(casts), g.entry), names) };
  });
  for (const name of STATEMENT_HOLDERS) sameBytes(deviceKeys(member(casts.noble, name)).keyStatement.bytes, deviceKeys(member(casts.sodium, name)).keyStatement.bytes, `${name}'s statement on noble`);

  // Snapshots: the phone's saved copy, with and without an alarm; the watch's, after it removed itself.
  const phoneId = member(casts.sodium, 'phone').id;
  const lastTs = built.states[built.states.length - 1]!.lastTs;
  const snapshotSpecs = [
    { name: 'the whole chain, no alarm', self: 'phone', verifiedAt: lastTs + MINUTE, entries: bytes.length },
    { name: 'the first two entries, with an unacknowledged alarm', self: 'phone', verifiedAt: UPPER_T0 + 90_000, entries: 2, alarm: 'backdated' as const },
    { name: 'the whole chain, saved by the watch that removed itself (a removed device keeps its chain)', self: 'watch', verifiedAt: lastTs + MINUTE, entries: bytes.length },
  ];
  const snapshots = snapshotSpecs.map((s) => {
    const encoded = encodeChainSnapshot({
      self: member(casts.sodium, s.self).id,
      verifiedAt: s.verifiedAt,
      entries: bytes.slice(0, s.entries),
      ...(s.alarm === undefined ? {} : { alarm: s.alarm }),
    });
    for (const b of BACKENDS) {
      const chain = DeviceChain.fromBytes(member(casts[b], 'phone').suite, encoded);
      sameBytes(chain.toBytes(), encoded, `snapshot "${s.name}" round trip on ${b}`);
      check(chain.length === s.entries && chain.forkAlarm === s.alarm && chain.verifiedAt === s.verifiedAt, `snapshot "${s.name}" fields`);
    }
    return { ...s, alarm: s.alarm ?? null, head: hex(built.states[s.entries - 1]!.head), snapshot: hex(encoded) };
  });
  const good = { v: 1, self: phoneId, at: lastTs, e: bytes.slice(0, 2) };
  const invalidSnapshots = [
    { name: 'version 2', value: { ...good, v: 2 } },
    { name: 'no `at`', value: { v: 1, self: phoneId, e: good.e } },
    { name: 'an extra key', value: { ...good, name: 'phone' } },
    { name: 'self of 15 bytes', value: { ...good, self: phoneId.subarray(0, 15) } },
    { name: 'negative `at`', value: { ...good, at: -1 } },
    { name: 'no entries', value: { ...good, e: [] } },
    { name: 'an entry that is not a byte string', value: { ...good, e: [bytes[0]!, 'entry'] } },
    { name: 'an unknown alarm reason', value: { ...good, fa: 'lost' } },
    { name: 'entries that do not replay', value: { ...good, e: [bytes[0]!, bytes[2]!] } },
    { name: 'an array', value: [1, phoneId, lastTs, good.e] },
    { name: 'self not on the chain (the stranger, with the first two entries)', value: { ...good, self: member(casts.sodium, 'stranger').id } },
  ].map((c) => ({ name: c.name, snapshot: hex(encodeCanonical(c.value)), error: 'DEVICE_CHAIN_MALFORMED' }));
  invalidSnapshots.push({ name: 'not CBOR (a truncated snapshot)', snapshot: snapshots[0]!.snapshot.slice(0, 200), error: 'DEVICE_CHAIN_MALFORMED' });
  for (const c of invalidSnapshots) {
    for (const b of BACKENDS) {
      const got = outcome(() => DeviceChain.fromBytes(member(casts[b], 'phone').suite, fromHex(c.snapshot)));
      check(got === c.error, `snapshot "${c.name}" on ${b}: ${got}`);
    }
  }

  return {
    built,
    json: {
      description:
        'A device chain of 13 entries, entry format version 2 (genesis with a recovery card and a 24-hour delay, add, ' +
        'rotate, remove, recovery add, veto, recovery add, add by the recovered device, add of a second recovery ' +
        'device, recovery add by the first, veto, remove of the first recovery device, self-remove) with every ' +
        'intermediate value and the state after each entry. Devices are named as in devices.json ("phone-rotated" is ' +
        'devices.json #6); "recovery" and "recovery-2" are the recovery devices of recovery.json cases 0 and 3. ' +
        '`keyStatements`: each device\'s epoch-0 X-Wing seed and key statement, which genesis (xk, rxk) and add (xk) ' +
        'carry; statement = 0x01 ‖ device id ‖ u32 epoch ‖ X-Wing public key ‖ Ed25519(identity, signingBytes). A ' +
        'log cut\'s lh is a hash drawn from the vector source standing for that checkpoint\'s. Entry fields use the ' +
        'cbor.json notation ({"$bytes": hex}). signingBytes = len(label) ‖ label ‖ signingAccount ‖ unsignedCbor (the ' +
        'all-zero account for genesis); signature = Ed25519(signer, signingBytes); entry = canonical CBOR of fields ' +
        'plus sig; hash = BLAKE2b-256(hashInput); the account id is the genesis hash. A state lists devices and ' +
        'removed devices sorted by id, each device\'s keyStatement by the `device` name of its row in `keyStatements`. `genesisVariants`: other genesis entries that must replay to `stateAfter`. ' +
        '`invalid`: replay the first `prefix` entries of `entries`, then `append`; replay must fail with `error`. ' +
        '`snapshots`: the saved form of a chain. See docs/protocol.md §18–§19.',
      version: 1,
      labels: labelTable(CHAIN_LABELS),
      entryVersion: CHAIN_ENTRY_VERSION,
      defaultRecoveryDelayMs: DEFAULT_RECOVERY_DELAY_MS,
      minRecoveryDelayMs: MIN_RECOVERY_DELAY_MS,
      maxEntryBytes: MAX_ENTRY_BYTES,
      keyStatementLabel: labelTable({ keyStatement: LABELS.keyStatement }).keyStatement,
      keyStatements: statements,
      accountId: hex(built.states[0]!.accountId),
      entries: built.entries.map((_, k) => entryVector(built, casts.sodium, k, names)),
      genesisVariants: variants,
      invalid: fails.map((c) => ({ name: c.name, why: c.why, prefix: c.prefix, append: c.append.map(hex), error: c.error })),
      snapshots,
      invalidSnapshots,
    },
  };
}
