/**
 * What the vector generators in this folder share: the deterministic random source that records
 * what it hands out, the checks that stop generation (backends disagree, a must-fail case does not
 * fail with its code), byte and JSON helpers, and the fixtures several files reuse (devices.json's
 * devices, a low-order card, the named cast of the upper layers, a call record, the clock).
 * Nothing here holds state between calls: scripts/make-vectors.ts passes every fixture along.
 */
import { concatBytes, equalBytes, toHex, utf8 } from '../../src/crypto/bytes.js';
import { labelled } from '../../src/crypto/kdf.js';
import type { BackendName, CryptoProvider } from '../../src/crypto/provider.js';
import type { RandomSource } from '../../src/crypto/random.js';
import { Device } from '../../src/core/device.js';
import { bindingMessage, deviceIdOf, encodeDevicePublic, idKey, type DevicePublic } from '../../src/core/devicePublic.js';
import type { PairKeyLookup } from '../../src/core/open.js';
import type { SealRecipient } from '../../src/core/seal.js';
import { recoveryDevice } from '../../src/enrollment/recoveryWords.js';
import { isMultikeySyncError } from '../../src/errors.js';

export const BACKENDS: BackendName[] = ['sodium', 'noble'];

// ---------------------------------------------------------------------------------------------
// Deterministic randomness

const DRBG_LABEL = 'multikey-sync/test-vectors/drbg';

function u32be(n: number): Uint8Array {
  const out = new Uint8Array(4);
  new DataView(out.buffer).setUint32(0, n);
  return out;
}

/** BLAKE2b-512(len ‖ label ‖ u32(len(name)) ‖ name ‖ u32(counter)), block after block. */
export function drbg(suite: CryptoProvider, name: string): RandomSource {
  const nameBytes = utf8(name);
  let counter = 0;
  let buffered: Uint8Array = new Uint8Array(0);
  return (length) => {
    while (buffered.length < length) {
      const block = suite.blake2b(64, labelled(DRBG_LABEL, u32be(nameBytes.length), nameBytes, u32be(counter++)));
      buffered = concatBytes(buffered, block);
    }
    const out = buffered.slice(0, length);
    buffered = buffered.slice(length);
    return out;
  };
}

/** Wraps a source and keeps every byte it hands out, in order. */
export function recording(source: RandomSource): { random: RandomSource; drawn: () => Uint8Array } {
  const parts: Uint8Array[] = [];
  return {
    random: (length) => {
      const bytes = source(length);
      parts.push(bytes.slice());
      return bytes;
    },
    drawn: () => concatBytes(...parts),
  };
}

/** Hands out exactly the given bytes, in order. */
export function replay(bytes: Uint8Array): RandomSource {
  let offset = 0;
  return (length) => {
    if (offset + length > bytes.length) throw new Error('replay source exhausted');
    const out = bytes.slice(offset, offset + length);
    offset += length;
    return out;
  };
}

// ---------------------------------------------------------------------------------------------
// Checks: any failure throws, and scripts/make-vectors.ts then writes nothing

export function check(condition: boolean, what: string): void {
  if (!condition) throw new Error(`vector generation: ${what}`);
}

export function sameBytes(a: Uint8Array, b: Uint8Array, what: string): void {
  check(equalBytes(a, b), `${what} differs (${toHex(a).slice(0, 32)}… vs ${toHex(b).slice(0, 32)}…)`);
}

/** The code `fn` throws (ours only), or `'ok'` when it returns a value, or null for a null return. */
export function outcome(fn: () => unknown): string | null {
  try {
    return fn() === null ? null : 'ok';
  } catch (e) {
    if (!isMultikeySyncError(e)) throw e;
    return e.code;
  }
}

export async function outcomeAsync(fn: () => Promise<unknown>): Promise<string | null> {
  try {
    return (await fn()) === null ? null : 'ok';
  } catch (e) {
    if (!isMultikeySyncError(e)) throw e;
    return e.code;
  }
}

// ---------------------------------------------------------------------------------------------
// Bytes and JSON

export const hex = toHex;

/** The exact text of a vector file. */
export function vectorFileText(content: object): string {
  return `${JSON.stringify(content, null, 2)}\n`;
}

export function flip(bytes: Uint8Array, at: number, mask = 0x01): Uint8Array {
  const out = bytes.slice();
  out[at]! ^= mask;
  return out;
}

export function withByte(bytes: Uint8Array, at: number, value: number): Uint8Array {
  const out = bytes.slice();
  out[at] = value;
  return out;
}

/** Data followed by the 0x80 marker and zeros up to `length` (no check that `length` fits). */
export function padTo(data: Uint8Array, length: number): Uint8Array {
  const out = new Uint8Array(length);
  out.set(data);
  if (data.length < length) out[data.length] = 0x80;
  return out;
}

/** JSON notation for CBOR values: {"$bytes": hex} for byte strings, {"$float": "NaN" | "Infinity" | "-Infinity" | "-0"}. */
export function notation(value: unknown): unknown {
  if (value instanceof Uint8Array) return { $bytes: hex(value) };
  if (typeof value === 'number') {
    if (Number.isNaN(value)) return { $float: 'NaN' };
    if (value === Infinity) return { $float: 'Infinity' };
    if (value === -Infinity) return { $float: '-Infinity' };
    if (Object.is(value, -0)) return { $float: '-0' };
    return value;
  }
  if (Array.isArray(value)) return value.map(notation);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, notation(v)]));
  }
  return value;
}

/** Deep equality of decoded values: map key order is ignored, -0 and NaN are told apart exactly. */
export function sameValue(a: unknown, b: unknown): boolean {
  if (typeof a === 'number' || typeof b === 'number') return Object.is(a, b);
  if (a instanceof Uint8Array || b instanceof Uint8Array) {
    return a instanceof Uint8Array && b instanceof Uint8Array && equalBytes(a, b);
  }
  if (Array.isArray(a) || Array.isArray(b)) {
    return Array.isArray(a) && Array.isArray(b) && a.length === b.length && a.every((x, i) => sameValue(x, b[i]));
  }
  if (a !== null && b !== null && typeof a === 'object' && typeof b === 'object') {
    const ka = Object.keys(a).sort();
    const kb = Object.keys(b).sort();
    return (
      sameValue(ka, kb) &&
      ka.every((k) => sameValue((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]))
    );
  }
  return a === b;
}

/** A file's `labels`: each label's text and its length-prefixed bytes. */
export function labelTable(labels: Record<string, string>): Record<string, { text: string; prefix: string }> {
  return Object.fromEntries(Object.entries(labels).map(([k, text]) => [k, { text, prefix: hex(labelled(text)) }]));
}

// ---------------------------------------------------------------------------------------------
// Fixtures: devices.json's devices

export const DEVICE_NAMES = ['phone', 'laptop', 'tablet', 'watch', 'browser', 'stranger'] as const;
export const PHONE = 0;
export const LAPTOP = 1;
export const TABLET = 2;
export const STRANGER = 5;

export interface DeviceSet {
  /** Per backend, the same devices: devices.json #0–#5, in DEVICE_NAMES order. */
  byBackend: Record<BackendName, Device[]>;
  /** The random bytes each device's generate() drew for its keys: identity seed ‖ encryption secret. */
  drawn: Uint8Array[];
  /** The third draw of each generate(): the X-Wing seed of the device's epoch 0. */
  epochSeeds: Uint8Array[];
  /** devices.json #6, per backend: the phone after an encryption-key rotation (same identity seed, new secret). */
  rotated: Record<BackendName, Device>;
}

export async function makeDevices(suite: CryptoProvider): Promise<DeviceSet> {
  const drawn: Uint8Array[] = [];
  const epochSeeds: Uint8Array[] = [];
  const byBackend = { sodium: [] as Device[], noble: [] as Device[] };
  for (const name of DEVICE_NAMES) {
    const rec = recording(drbg(suite, `device/${name}`));
    const d = await Device.generate({ backend: 'sodium', random: rec.random });
    drawn.push(rec.drawn().subarray(0, 64));
    epochSeeds.push(rec.drawn().subarray(64, 96));
    byBackend.sodium.push(d);
    const n = await Device.generate({ backend: 'noble', random: replay(rec.drawn()) });
    sameBytes(encodeDevicePublic(n.public), encodeDevicePublic(d.public), `${name} card across backends`);
    byBackend.noble.push(n);
  }

  // Same identity, new encryption secret; the epoch keys belong to the identity, so the same epoch-0 seed.
  const rotatedDrawn = concatBytes(drawn[PHONE]!.subarray(0, 32), drbg(suite, 'device/phone-rotated')(32), epochSeeds[PHONE]!);
  const rotated: Record<BackendName, Device> = {
    sodium: await Device.generate({ backend: 'sodium', random: replay(rotatedDrawn) }),
    noble: await Device.generate({ backend: 'noble', random: replay(rotatedDrawn) }),
  };
  sameBytes(encodeDevicePublic(rotated.noble.public), encodeDevicePublic(rotated.sodium.public), 'rotated card across backends');
  sameBytes(rotated.sodium.id, byBackend.sodium[PHONE]!.id, 'rotation keeps the id');
  return { byBackend, drawn, epochSeeds, rotated };
}

/** All seven devices of devices.json on one backend: index 6 is the rotated phone. */
export function withRotated(set: DeviceSet, backend: BackendName): Device[] {
  return [...set.byBackend[backend], set.rotated[backend]];
}

/** devices.json's seven names, index for index. */
export const ALL_DEVICE_NAMES = [...DEVICE_NAMES, 'phone-rotated'] as const;
export const ROTATED = 6;

// ---------------------------------------------------------------------------------------------
// Fixtures: pairkeys.json's pair keys, which envelopes, records and logs seal and publish with

/**
 * The key reference each device uses as a sender (the position of its log checkpoint that
 * established its pair keys): small, multi-byte, 2^16 and 2^32 − 1 exercise every byte of the u32.
 */
export const PAIR_REFS = [1, 2, 7, 300, 0xffff_ffff, 65_536, 9] as const;

/** kek(S→R, ref) as S established it toward R's epoch-0 statement, with what went into it. */
export interface PairKeyFixture {
  sender: number;
  recipient: number;
  epoch: number;
  ref: number;
  eseed: Uint8Array;
  ciphertext: Uint8Array;
  kek: Uint8Array;
}

/** The eseed of S→R's pair key toward R's epoch `epoch`, from the vector source. */
export function pairEseed(suite: CryptoProvider, sender: number, recipient: number, epoch = 0): Uint8Array {
  return drbg(suite, `pairkey/${ALL_DEVICE_NAMES[sender]}/${ALL_DEVICE_NAMES[recipient]}/${epoch}`)(64);
}

/**
 * Every ordered pair of the seven devices (self-pairs included), established on libsodium and
 * accepted on the recipient's side on both backends; `[s][r]`.
 */
export function makePairKeys(set: DeviceSet, suite: CryptoProvider): PairKeyFixture[][] {
  const devs = withRotated(set, 'sodium');
  return devs.map((S, s) =>
    devs.map((R, r) => {
      const statement = R.epochs.current!.statement;
      const eseed = pairEseed(suite, s, r);
      const made = S.establishPairKey(R.public, statement, PAIR_REFS[s]!, eseed);
      for (const b of BACKENDS) {
        const bs = withRotated(set, b)[s]!;
        const br = withRotated(set, b)[r]!;
        const again = bs.establishPairKey(br.public, br.epochs.current!.statement, PAIR_REFS[s]!, eseed);
        sameBytes(again.ciphertext, made.ciphertext, `pair key ${s}→${r} ciphertext on ${b}`);
        sameBytes(again.key, made.key, `pair key ${s}→${r} on ${b}`);
        sameBytes(br.acceptPairKey(bs.public, statement.epoch, PAIR_REFS[s]!, made.ciphertext), made.key, `pair key ${s}→${r} accepted on ${b}`);
      }
      return { sender: s, recipient: r, epoch: statement.epoch, ref: PAIR_REFS[s]!, eseed, ciphertext: made.ciphertext, kek: made.key };
    }),
  );
}

/** What `sender` seals with for `to` (device indices). */
export function sealRecipients(keys: PairKeyFixture[][], devs: Device[], sender: number, to: readonly number[]): SealRecipient[] {
  return to.map((r) => ({ card: devs[r]!.public, ref: keys[sender]![r]!.ref, key: keys[sender]![r]!.kek }));
}

/** A pair key a reader holds: from the device with id `sender`, under reference `ref`. */
export interface HeldKey {
  sender: Uint8Array;
  ref: number;
  kek: Uint8Array;
}

/** `open`'s view of the keys a reader holds. */
export function lookupOf(held: readonly HeldKey[]): PairKeyLookup {
  const map = new Map(held.map((k) => [`${idKey(k.sender)}:${k.ref}`, k.kek]));
  return { get: (sender, ref) => map.get(`${idKey(sender)}:${ref}`) };
}

/** The keys reader `r` holds from each of `senders`, as pairkeys.json gives them. */
export function heldFrom(keys: PairKeyFixture[][], devs: Device[], r: number, senders: readonly number[]): HeldKey[] {
  return senders.map((s) => ({ sender: devs[s]!.id, ref: keys[s]![r]!.ref, kek: keys[s]![r]!.kek }));
}

export interface LowOrderCard {
  seed: Uint8Array;
  card: Uint8Array;
  public: DevicePublic;
}

/** A correctly signed card whose encryption key is a low-order X25519 point (the zero point). */
export function lowOrderCard(suite: CryptoProvider): LowOrderCard {
  const seed = drbg(suite, 'card/low-order')(32);
  const identityKey = suite.ed25519PublicKey(seed);
  const encryptionKey = new Uint8Array(32);
  const binding = suite.ed25519Sign(seed, identityKey, bindingMessage(identityKey, encryptionKey));
  const card = new Uint8Array(129);
  card[0] = 1;
  card.set(identityKey, 1);
  card.set(encryptionKey, 33);
  card.set(binding, 65);
  // Built by hand: decodeDevicePublic refuses it (DEVICE_KEY_LOW_ORDER).
  return { seed, card, public: { id: deviceIdOf(suite, identityKey), identityKey, encryptionKey, binding } };
}

// ---------------------------------------------------------------------------------------------
// Fixtures: the upper layers' named devices (docs/protocol.md §17, "The upper-layer files")

/**
 * Devices by name: devices.json's seven (`phone-rotated` is #6), `recovery` (recovery.json case 0)
 * and `recovery-2` (recovery.json case 3, the recovery device that replaces it in chain.json).
 */
export type Cast = Record<string, Device>;

export function member(cast: Cast, name: string): Device {
  const d = cast[name];
  if (d === undefined) throw new Error(`no device named ${name}`);
  return d;
}

/** The cast on each backend; `recoveryWords` are those of recovery.json case 0, `secondWords` of case 3. */
export async function makeCasts(set: DeviceSet, recoveryWords: string, secondWords: string): Promise<Record<BackendName, Cast>> {
  const castOn = async (backend: BackendName): Promise<Cast> => {
    const cast: Cast = {};
    DEVICE_NAMES.forEach((n, i) => (cast[n] = set.byBackend[backend][i]!));
    cast['phone-rotated'] = set.rotated[backend];
    cast.recovery = await recoveryDevice(recoveryWords, { backend });
    cast['recovery-2'] = await recoveryDevice(secondWords, { backend });
    return cast;
  };
  return { sodium: await castOn('sodium'), noble: await castOn('noble') };
}

export const UPPER_T0 = 1_750_000_000_000; // 2025-06-15T15:06:40Z
export const MINUTE = 60_000;
export const DAY_MS = 86_400_000;

/** A call record: sealed in envelopes.json and records.json, encoded in cbor.json. */
export const CALL = {
  service: 'voip',
  app: 'net.whatsapp.WhatsApp',
  direction: 'incoming',
  answered: false,
  peer: '+14155550123',
  startedAt: 1_700_000_000_000,
  durationSec: 0,
};
