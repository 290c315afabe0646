/** docs/protocol.md §18–19 → chain.json: an 8-entry device chain with every intermediate value and
 * the state after each entry, must-fail appends, saved snapshots and damaged ones.
 */
import { concatBytes, fromHex } from '../../src/crypto/bytes.js';
import { labelled } from '../../src/crypto/kdf.js';
import type { BackendName } from '../../src/crypto/provider.js';
import { encodeCanonical, encodeValue } from '../../src/core/cbor.js';
import { encodeDevicePublic, idKey } from '../../src/core/devicePublic.js';
import {
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
import { createGenesis, makeAdd, makeRemove, makeRotate, makeVeto, signConsent } from '../../src/enrollment/chainOps.js';
import { encodeChainSnapshot } from '../../src/enrollment/chainSnapshot.js';
import { applyEntry, DEFAULT_RECOVERY_DELAY_MS, genesisState, replayChain, type ChainState } from '../../src/enrollment/chainState.js';
import { DeviceChain } from '../../src/enrollment/deviceChain.js';
import {
  BACKENDS,
  check,
  DAY_MS,
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

const RECOVERY_DELAY_MS = DAY_MS;
const ZERO_ACCOUNT = new Uint8Array(32);

/** The chain as built, entry by entry: pairing, requests and records reuse its account, heads and entries. */
export interface BuiltChain {
  entries: EncodedEntry[];
  states: ChainState[];
  signers: string[];
  stories: string[];
  joiners: Array<string | undefined>;
}

function buildChain(cast: Cast): BuiltChain {
  const suite = member(cast, 'phone').suite;
  const genesis = createGenesis(member(cast, 'phone'), {
    recovery: member(cast, 'recovery').public,
    recoveryDelayMs: RECOVERY_DELAY_MS,
    now: UPPER_T0,
  });
  const built: BuiltChain = {
    entries: [genesis],
    states: [genesisState(suite, genesis)],
    signers: ['phone'],
    stories: ['the phone creates the account, naming the recovery device and a 24-hour recovery delay'],
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
  const add = (signer: string, joiner: string, at: number) => (s: ChainState) =>
    makeAdd(member(cast, signer), s, member(cast, joiner).public, signConsent(member(cast, joiner), s.accountId), { now: at });
  const phone2 = member(cast, 'phone-rotated');
  step('phone', 'the phone adds the laptop (the QR pairing of pairing.json)', add('phone', 'laptop', UPPER_T0 + MINUTE), 'laptop');
  step('phone-rotated', 'the phone rotates its encryption key (devices.json #6: same identity, new key)', (s) => makeRotate(phone2, s, UPPER_T0 + 2 * MINUTE));
  step('phone-rotated', 'the phone removes the laptop', (s) => makeRemove(phone2, s, member(cast, 'laptop').id, UPPER_T0 + 3 * MINUTE));
  step('recovery', 'the recovery device adds the tablet: pending for the 24-hour delay', add('recovery', 'tablet', UPPER_T0 + 4 * MINUTE), 'tablet');
  step('phone-rotated', "the phone vetoes the tablet's pending recovery add", (s) => makeVeto(phone2, s, built.entries[4]!.hash, UPPER_T0 + 5 * MINUTE));
  step('recovery', 'the recovery device adds the watch: pending for the 24-hour delay', add('recovery', 'watch', UPPER_T0 + 6 * MINUTE), 'watch');
  step(
    'watch',
    'the watch, active from the exact end of its delay, adds the browser',
    add('watch', 'browser', UPPER_T0 + 6 * MINUTE + RECOVERY_DELAY_MS),
    'browser',
  );
  return built;
}

function stateVector(s: ChainState): object {
  const devices = [...s.devices.values()]
    .map((d) => ({
      id: hex(d.card.id),
      role: d.role,
      addedAt: d.addedAt,
      effectiveAt: d.effectiveAt,
      pendingEntry: d.pendingEntry === undefined ? null : hex(d.pendingEntry),
      card: hex(encodeDevicePublic(d.card)),
    }))
    .sort((a, b) => (a.id < b.id ? -1 : 1));
  const removed = [...s.removed].map((k) => hex(Uint8Array.from(k, (c) => c.charCodeAt(0)))).sort();
  return {
    accountId: hex(s.accountId),
    head: hex(s.head),
    length: s.length,
    lastTs: s.lastTs,
    recoveryDelayMs: s.recoveryDelayMs,
    devices,
    removed,
  };
}

function unsignedOf(entry: ChainEntry): Omit<ChainEntry, 'sig'> {
  const { sig: _sig, ...rest } = entry;
  return rest;
}

function entryVector(built: BuiltChain, cast: Cast, k: number): object {
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
    stateAfter: stateVector(built.states[k]!),
  };
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
  /** An entry extending the first `prefix` entries, signed by `signer`; `fields` override the base. */
  /** `signAccount` null signs with the all-zero account id, as a genesis does. */
  const next = (prefix: number, signer: string, fields: Record<string, unknown>, signAccount: Uint8Array | null = account) => {
    const before = built.states[prefix - 1]!;
    const unsigned = { v: 1, i: prefix, prev: before.head, ts: before.lastTs + MINUTE, by: member(cast, signer).id, ...fields };
    return signEntry(member(cast, signer), signAccount ?? undefined, stripUndefinedFields(unsigned) as Omit<ChainEntry, 'sig'>).bytes;
  };
  const genesisLike = (signer: string, fields: Record<string, unknown>, signAccount?: Uint8Array) =>
    signEntry(member(cast, signer), signAccount, stripUndefinedFields({ v: 1, t: 'genesis', i: 0, ts: UPPER_T0, dev: card('phone'), ...fields }) as Omit<ChainEntry, 'sig'>).bytes;
  const withSig = (e: EncodedEntry, sig: Uint8Array) => encodeEntry(suite, { ...e.entry, sig }).bytes;
  const badBinding = card('laptop');
  badBinding[128]! ^= 0x01;
  const e1 = E[1]!.bytes;
  check(e1[1] === 0x61 && e1[2] === 0x69 && e1[3] === 0x01, 'entry 1 starts with key "i" = 1');
  const longHead = concatBytes(e1.subarray(0, 3), new Uint8Array([0x18, 0x01]), e1.subarray(4));
  const watchActive = built.states[6]!.devices.get(idKey(member(cast, 'watch').id))!.effectiveAt;

  return [
    // genesis
    { name: 'empty chain', why: 'there is no genesis entry', prefix: 0, append: [], error: 'CHAIN_GENESIS_INVALID' },
    { name: 'chain starting with an add', why: 'entry 1 alone: the first entry must be a genesis', prefix: 0, append: [E[1]!.bytes], error: 'CHAIN_GENESIS_INVALID' },
    { name: 'genesis with index 1', why: 'a genesis carries index 0', prefix: 0, append: [genesisLike('phone', { i: 1 })], error: 'CHAIN_GENESIS_INVALID' },
    { name: 'genesis with prev', why: 'a genesis links to nothing', prefix: 0, append: [genesisLike('phone', { prev: new Uint8Array(32) })], error: 'CHAIN_GENESIS_INVALID' },
    { name: 'genesis naming a signer', why: 'a genesis is self-signed and carries no `by`', prefix: 0, append: [genesisLike('phone', { by: member(cast, 'phone').id })], error: 'CHAIN_GENESIS_INVALID' },
    { name: 'genesis with role recovery', why: 'the first device is a real device', prefix: 0, append: [genesisLike('phone', { role: 'recovery' })], error: 'CHAIN_GENESIS_INVALID' },
    {
      name: 'genesis whose recovery card is the first device',
      why: 'the recovery device must differ from the first device',
      prefix: 0,
      append: [genesisLike('phone', { rec: card('phone') })],
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
    // encoding
    { name: 'entry of 2049 bytes', why: 'an entry is at most 2048 bytes (checked before decoding)', prefix: 1, append: [new Uint8Array(2049)], error: 'CHAIN_ENTRY_MALFORMED' },
    { name: 'entry 1 with a trailing byte', why: 'not one CBOR item: the CBOR code comes through', prefix: 1, append: [concatBytes(e1, new Uint8Array(1))], error: 'CBOR_TRAILING_BYTES' },
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
    { name: 'version 2', why: 'v must be 1', prefix: 1, append: [next(1, 'phone', { v: 2, t: 'add', dev: card('laptop'), ok: consentOf('laptop') })], error: 'CHAIN_ENTRY_MALFORMED' },
    { name: 'unknown type', why: 't must be one of the five types', prefix: 1, append: [next(1, 'phone', { t: 'merge' })], error: 'CHAIN_ENTRY_MALFORMED' },
    {
      name: 'unknown field',
      why: 'only the listed keys may appear (device names never go on the chain)',
      prefix: 1,
      append: [next(1, 'phone', { t: 'add', dev: card('laptop'), ok: consentOf('laptop'), name: 'Laptop' })],
      error: 'CHAIN_ENTRY_MALFORMED',
    },
    { name: 'role outside device/recovery', why: 'role is a closed set', prefix: 1, append: [next(1, 'phone', { t: 'add', dev: card('laptop'), ok: consentOf('laptop'), role: 'admin' })], error: 'CHAIN_ENTRY_MALFORMED' },
    { name: 'tgt of 20 bytes', why: 'tgt is a 16-byte device id or a 32-byte entry hash', prefix: 2, append: [next(2, 'phone-rotated', { t: 'remove', tgt: new Uint8Array(20) })], error: 'CHAIN_ENTRY_MALFORMED' },
    { name: 'signature of 63 bytes', why: 'sig is 64 bytes', prefix: 1, append: [withSig(E[1]!, E[1]!.entry.sig.subarray(0, 63))], error: 'CHAIN_ENTRY_MALFORMED' },
    // links and time
    { name: 'entry 2 right after entry 0', why: 'its index is 2 and its prev names entry 1', prefix: 1, append: [E[2]!.bytes], error: 'CHAIN_BROKEN_LINK' },
    { name: 'entry 1 appended twice', why: 'index 1 where 2 is due', prefix: 2, append: [E[1]!.bytes], error: 'CHAIN_BROKEN_LINK' },
    { name: 'prev names entry 0', why: 'index 2 is right, but prev must be the hash of entry 1', prefix: 2, append: [next(2, 'phone-rotated', { t: 'rotate', dev: card('phone-rotated'), prev: E[0]!.hash })], error: 'CHAIN_BROKEN_LINK' },
    { name: 'index skips one', why: 'index 3 where 2 is due', prefix: 2, append: [next(2, 'phone-rotated', { t: 'rotate', dev: card('phone-rotated'), i: 3 })], error: 'CHAIN_BROKEN_LINK' },
    { name: 'second genesis', why: "the laptop's own genesis appended as entry 1", prefix: 1, append: [createGenesis(member(cast, 'laptop'), { now: UPPER_T0 + MINUTE }).bytes], error: 'CHAIN_ENTRY_INVALID' },
    { name: 'time goes backwards', why: 'ts is 1 ms before the genesis', prefix: 1, append: [next(1, 'phone', { t: 'add', dev: card('laptop'), ok: consentOf('laptop'), ts: UPPER_T0 - 1 })], error: 'CHAIN_TIME_INVALID' },
    { name: 'recovery delay outside genesis', why: 'rd is fixed at genesis', prefix: 1, append: [next(1, 'phone', { t: 'add', dev: card('laptop'), ok: consentOf('laptop'), rd: 1000 })], error: 'CHAIN_ENTRY_INVALID' },
    { name: 'recovery card outside genesis', why: 'rec appears only in genesis (a new recovery device is an add with role recovery)', prefix: 1, append: [next(1, 'phone', { t: 'add', dev: card('laptop'), ok: consentOf('laptop'), rec: card('stranger') })], error: 'CHAIN_ENTRY_INVALID' },
    // signers
    { name: 'signed by a device never enrolled', why: 'the stranger is not on the list', prefix: 1, append: [next(1, 'stranger', { t: 'add', dev: card('laptop'), ok: consentOf('laptop') })], error: 'CHAIN_SIGNER_NOT_ACTIVE' },
    { name: 'signed by the removed laptop', why: 'entry 3 removed it', prefix: 4, append: [next(4, 'laptop', { t: 'remove', tgt: member(cast, 'phone').id })], error: 'CHAIN_SIGNER_NOT_ACTIVE' },
    {
      name: 'signed by the watch 1 ms before its delay ends',
      why: 'a device added by the recovery key is not active until ts + rd',
      prefix: 7,
      append: [next(7, 'watch', { t: 'add', dev: card('browser'), ok: consentOf('browser'), ts: watchActive - 1 })],
      error: 'CHAIN_SIGNER_NOT_ACTIVE',
    },
    { name: 'the recovery device signs a remove', why: 'the recovery key can only add', prefix: 4, append: [next(4, 'recovery', { t: 'remove', tgt: member(cast, 'phone').id })], error: 'CHAIN_SIGNER_NOT_ACTIVE' },
    { name: 'signed over the all-zero account id', why: 'every entry after genesis signs with the account id', prefix: 1, append: [next(1, 'phone', { t: 'add', dev: card('laptop'), ok: consentOf('laptop') }, null)], error: 'CHAIN_SIGNATURE_INVALID' },
    {
      name: "`by` names the phone, the laptop's key signed",
      why: 'the signature must verify under the identity key of the device `by` names',
      prefix: 1,
      append: [next(1, 'laptop', { t: 'add', dev: card('laptop'), ok: consentOf('laptop'), by: member(cast, 'phone').id })],
      error: 'CHAIN_SIGNATURE_INVALID',
    },
    { name: 'entry 1 with a signature byte flipped', why: 'the signature covers the entry', prefix: 1, append: [withSig(E[1]!, flip(E[1]!.entry.sig, 63, 0x40))], error: 'CHAIN_SIGNATURE_INVALID' },
    // add
    { name: 'add without a card', why: 'an add carries dev', prefix: 1, append: [next(1, 'phone', { t: 'add', ok: consentOf('laptop') })], error: 'CHAIN_ENTRY_INVALID' },
    { name: 'add of a card whose binding fails', why: 'every card in the chain must verify', prefix: 1, append: [next(1, 'phone', { t: 'add', dev: badBinding, ok: consentOf('laptop') })], error: 'CHAIN_CARD_INVALID' },
    { name: 'add without consent', why: 'ok is required', prefix: 1, append: [next(1, 'phone', { t: 'add', dev: card('laptop') })], error: 'CHAIN_CONSENT_INVALID' },
    {
      name: 'consent for another account',
      why: "the laptop consented to joining a different account id (chain.json's account with its last byte flipped)",
      prefix: 1,
      append: [next(1, 'phone', { t: 'add', dev: card('laptop'), ok: signConsent(member(cast, 'laptop'), flip(account, 31)) })],
      error: 'CHAIN_CONSENT_INVALID',
    },
    { name: 'consent signed by the approver', why: 'the consent must be the new device\'s own signature', prefix: 1, append: [next(1, 'phone', { t: 'add', dev: card('laptop'), ok: consentOf('phone') })], error: 'CHAIN_CONSENT_INVALID' },
    {
      name: "the laptop's consent for the tablet's card",
      why: 'the consent covers the exact card added',
      prefix: 1,
      append: [next(1, 'phone', { t: 'add', dev: card('laptop'), ok: member(cast, 'laptop').sign(CHAIN_LABELS.consent, concatBytes(account, card('tablet'))) })],
      error: 'CHAIN_CONSENT_INVALID',
    },
    { name: 'add of a device already on the list', why: 'the laptop is active after entry 1', prefix: 2, append: [next(2, 'phone-rotated', { t: 'add', dev: card('laptop'), ok: consentOf('laptop') })], error: 'CHAIN_DEVICE_EXISTS' },
    { name: 'the removed laptop returns', why: 'a removed id can never be added again', prefix: 4, append: [next(4, 'phone-rotated', { t: 'add', dev: card('laptop'), ok: consentOf('laptop') })], error: 'CHAIN_DEVICE_REMOVED' },
    { name: 'the vetoed tablet returns', why: 'a vetoed id can never be added again', prefix: 6, append: [next(6, 'phone-rotated', { t: 'add', dev: card('tablet'), ok: consentOf('tablet') })], error: 'CHAIN_DEVICE_REMOVED' },
    {
      name: 'the recovery device adds a recovery device',
      why: 'the recovery key adds real devices only',
      prefix: 4,
      append: [next(4, 'recovery', { t: 'add', dev: card('stranger'), ok: consentOf('stranger'), role: 'recovery' })],
      error: 'CHAIN_ENTRY_INVALID',
    },
    // remove, rotate, veto
    { name: 'remove of a device not on the list', why: 'the stranger was never added', prefix: 2, append: [next(2, 'phone-rotated', { t: 'remove', tgt: member(cast, 'stranger').id })], error: 'CHAIN_TARGET_INVALID' },
    { name: 'remove of the laptop twice', why: 'entry 3 already removed it', prefix: 4, append: [next(4, 'phone-rotated', { t: 'remove', tgt: member(cast, 'laptop').id })], error: 'CHAIN_TARGET_INVALID' },
    { name: 'remove naming an entry hash', why: 'remove names a 16-byte device id', prefix: 2, append: [next(2, 'phone-rotated', { t: 'remove', tgt: E[1]!.hash })], error: 'CHAIN_TARGET_INVALID' },
    { name: "rotate to the laptop's card", why: 'a device rotates only its own key (same identity key)', prefix: 2, append: [next(2, 'phone', { t: 'rotate', dev: card('laptop') })], error: 'CHAIN_TARGET_INVALID' },
    { name: 'rotate to the same key', why: 'a rotation must change the encryption key', prefix: 2, append: [next(2, 'phone', { t: 'rotate', dev: card('phone') })], error: 'CHAIN_TARGET_INVALID' },
    { name: 'veto of an ordinary add', why: 'entry 1 was not signed by the recovery key', prefix: 2, append: [next(2, 'phone', { t: 'veto', tgt: E[1]!.hash })], error: 'CHAIN_TARGET_INVALID' },
    { name: 'veto naming a device id', why: 'a veto names the 32-byte hash of the pending add', prefix: 5, append: [next(5, 'phone-rotated', { t: 'veto', tgt: member(cast, 'tablet').id })], error: 'CHAIN_TARGET_INVALID' },
    { name: "veto of the watch's add after its delay", why: 'entry 7 is dated at the end of the delay: nothing is pending any more', prefix: 8, append: [next(8, 'phone-rotated', { t: 'veto', tgt: E[6]!.hash })], error: 'CHAIN_TARGET_INVALID' },
    { name: 'the recovery device vetoes', why: 'the recovery key can only add', prefix: 7, append: [next(7, 'recovery', { t: 'veto', tgt: E[6]!.hash })], error: 'CHAIN_SIGNER_NOT_ACTIVE' },
  ];
}

function stripUndefinedFields(o: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));
}

/** chain.json, and the chain it holds (`built`) for the files after it. */
export function chainVectors(casts: Record<BackendName, Cast>, low: LowOrderCard): { json: object; built: BuiltChain } {
  const built = buildChain(casts.sodium);
  const again = buildChain(casts.noble);
  built.entries.forEach((e, k) => sameBytes(again.entries[k]!.bytes, e.bytes, `chain entry ${k} on noble`));
  const bytes = built.entries.map((e) => e.bytes);
  for (const b of BACKENDS) {
    const suite = member(casts[b], 'phone').suite;
    for (let k = 0; k < bytes.length; k++) {
      const state = replayChain(suite, bytes.slice(0, k + 1));
      check(JSON.stringify(stateVector(state)) === JSON.stringify(stateVector(built.states[k]!)), `replayed state ${k} on ${b}`);
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
  const names = new Set(fails.map((c) => c.name));
  check(names.size === fails.length, 'chain must-fail names are unique');

  // Snapshots: the phone's saved copy, with and without an alarm.
  const phoneId = member(casts.sodium, 'phone').id;
  const lastTs = built.states[built.states.length - 1]!.lastTs;
  const snapshotSpecs = [
    { name: 'the whole chain, no alarm', self: 'phone', verifiedAt: lastTs + MINUTE, entries: bytes.length },
    { name: 'the first two entries, with an unacknowledged alarm', self: 'phone', verifiedAt: UPPER_T0 + 90_000, entries: 2, alarm: 'backdated' as const },
  ];
  const snapshots = snapshotSpecs.map((s) => {
    const encoded = encodeChainSnapshot({
      self: phoneId,
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
        'A device chain of 8 entries (genesis with a recovery card and a 24-hour delay, add, rotate, remove, recovery ' +
        'add, veto, recovery add, add by the recovered device) with every intermediate value and the state after each ' +
        'entry. Devices are named as in devices.json ("phone-rotated" is devices.json #6); "recovery" is the recovery ' +
        'device of recovery.json case 0. Entry fields use the cbor.json notation ({"$bytes": hex}). signingBytes = ' +
        'len(label) ‖ label ‖ signingAccount ‖ unsignedCbor (the all-zero account for genesis); signature = ' +
        'Ed25519(signer, signingBytes); entry = canonical CBOR of fields plus sig; hash = BLAKE2b-256(hashInput); the ' +
        'account id is the genesis hash. A state lists devices sorted by id. `invalid`: replay the first `prefix` ' +
        'entries of `entries`, then `append`; replay must fail with `error`. `snapshots`: the saved form of a chain. ' +
        'See docs/protocol.md §18–§19.',
      version: 1,
      labels: labelTable(CHAIN_LABELS),
      defaultRecoveryDelayMs: DEFAULT_RECOVERY_DELAY_MS,
      maxEntryBytes: MAX_ENTRY_BYTES,
      accountId: hex(built.states[0]!.accountId),
      entries: built.entries.map((_, k) => entryVector(built, casts.sodium, k)),
      invalid: fails.map((c) => ({ name: c.name, why: c.why, prefix: c.prefix, append: c.append.map(hex), error: c.error })),
      snapshots,
      invalidSnapshots,
    },
  };
}
