/**
 * Device-chain entries: the signed, hash-linked operations that make up an account's device
 * list. An entry is a canonical CBOR map; its signature covers
 * `len(label) ‖ label ‖ account id ‖ canonical CBOR of the entry without "sig"` (the genesis
 * entry signs with an all-zero account id, since the account id is the hash of the genesis
 * entry itself). hash(entry) = labelled BLAKE2b-256 of the encoded entry, signature included.
 *
 * Fields (short keys keep entries small; see docs/protocol.md §18.1):
 *   v     format version (2)            t     type
 *   i     index (0 for genesis)         prev  hash of entry i−1 (absent in genesis)
 *   ts    signer's clock, ms            by    id of the signing device (absent in genesis)
 *   dev   a device card (129 bytes)     role  'device' | 'recovery'
 *   ok    the new device's consent signature (add)
 *   xk    the listed device's epoch-0 key statement (genesis, add; 1301 bytes)
 *   rxk   the recovery device's epoch-0 key statement (genesis, with rec)
 *   tgt   a device id (remove) or an entry hash (veto)
 *   lp    log position where the target's authority (remove) or the signer's old card (rotate) ends
 *   lh    hash of the checkpoint at lp (present iff lp > 0)
 *   rd    recovery delay in ms (genesis) sig   Ed25519 signature
 *
 * Device names never appear here: the server stores the chain, and names are private.
 */
import { CodecError } from '../errors.js';
import { concatBytes } from '../crypto/bytes.js';
import { labelled, labelledHash } from '../crypto/kdf.js';
import type { CryptoProvider } from '../crypto/provider.js';
import { decodeValue, encodeCanonical } from '../core/cbor.js';
import { signAsProtocol, type Device } from '../core/device.js';
import { KEY_STATEMENT_BYTES } from '../core/keyStatement.js';

export const CHAIN_LABELS = {
  entrySignature: 'multikey-sync/v1/chain-entry',
  entryHash: 'multikey-sync/v1/chain-entry-hash',
  consent: 'multikey-sync/v1/join-consent',
} as const;

/** The entry format version this code writes and reads. */
export const CHAIN_ENTRY_VERSION = 2 as const;
/** Largest encoded entry accepted: a genesis with both cards and both key statements is about 2.9 KB. */
export const MAX_ENTRY_BYTES = 4096;
/** Largest log position a remove or rotate may name (u32). */
export const MAX_LOG_POSITION = 0xffff_ffff;
const ZERO_ACCOUNT = new Uint8Array(32);

/** The operations a chain records. */
export type ChainEntryType = 'genesis' | 'add' | 'remove' | 'rotate' | 'veto';
/** A device's role: a real device, or the recovery pseudo-device derived from the words. */
export type DeviceRole = 'device' | 'recovery';

/** A decoded chain entry. Byte fields are raw; `dev` is an encoded device card. */
export interface ChainEntry {
  v: typeof CHAIN_ENTRY_VERSION;
  t: ChainEntryType;
  i: number;
  ts: number;
  prev?: Uint8Array;
  by?: Uint8Array;
  dev?: Uint8Array;
  role?: DeviceRole;
  rec?: Uint8Array;
  ok?: Uint8Array;
  tgt?: Uint8Array;
  xk?: Uint8Array;
  rxk?: Uint8Array;
  lp?: number;
  lh?: Uint8Array;
  rd?: number;
  sig: Uint8Array;
}

/** An entry with its exact bytes and hash, as stored and transmitted. */
export interface EncodedEntry {
  entry: ChainEntry;
  bytes: Uint8Array;
  hash: Uint8Array;
}

/** The bytes an entry's signature covers. */
export function entrySigningBytes(accountId: Uint8Array | undefined, unsigned: Omit<ChainEntry, 'sig'>): Uint8Array {
  return labelled(CHAIN_LABELS.entrySignature, accountId ?? ZERO_ACCOUNT, encodeCanonical(stripUndefined(unsigned)));
}

/** The bytes a joining device signs to consent to joining `accountId` with `card`. */
export function consentBytes(accountId: Uint8Array, card: Uint8Array): Uint8Array {
  return labelled(CHAIN_LABELS.consent, accountId, card);
}

/** Signs an unsigned entry with `signer` and encodes it. */
export function signEntry(signer: Device, accountId: Uint8Array | undefined, unsigned: Omit<ChainEntry, 'sig'>): EncodedEntry {
  const clean = stripUndefined(unsigned);
  // The signer prefixes the label itself, so it gets the unlabelled remainder of entrySigningBytes.
  const sig = signAsProtocol(signer, CHAIN_LABELS.entrySignature, concatBytes(accountId ?? ZERO_ACCOUNT, encodeCanonical(clean)));
  return encodeEntry(signer.suite, { ...clean, sig } as ChainEntry);
}

/** Encodes an entry canonically and hashes it. */
export function encodeEntry(suite: CryptoProvider, entry: ChainEntry): EncodedEntry {
  const bytes = encodeCanonical(stripUndefined(entry));
  return { entry, bytes, hash: entryHash(suite, bytes) };
}

/** hash(entry) over its encoded bytes. */
export function entryHash(suite: CryptoProvider, bytes: Uint8Array): Uint8Array {
  return labelledHash(suite, CHAIN_LABELS.entryHash, 32, bytes);
}

const TYPES: ReadonlySet<string> = new Set(['genesis', 'add', 'remove', 'rotate', 'veto']);
type FieldShape = 'bytes32' | 'bytes16' | 'id-or-hash' | 'card' | 'sig' | 'statement' | 'uint' | 'u32' | 'role';
const FIELDS: Readonly<Record<string, FieldShape>> = {
  prev: 'bytes32',
  by: 'bytes16',
  dev: 'card',
  rec: 'card',
  ok: 'sig',
  tgt: 'id-or-hash',
  xk: 'statement',
  rxk: 'statement',
  lp: 'u32',
  lh: 'bytes32',
  rd: 'uint',
  role: 'role',
};

/**
 * Decodes and shape-checks one entry (no signature checks; see chainState.ts).
 * @throws {CodecError} `CHAIN_ENTRY_MALFORMED` (and `CBOR_*` for undecodable bytes).
 */
export function decodeEntry(suite: CryptoProvider, bytes: Uint8Array): EncodedEntry {
  if (!(bytes instanceof Uint8Array) || bytes.length > MAX_ENTRY_BYTES) {
    throw malformed(`a chain entry is at most ${MAX_ENTRY_BYTES} bytes`);
  }
  const value = decodeValue(bytes, { maxDepth: 2, maxItems: 64, maxBytes: MAX_ENTRY_BYTES });
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw malformed('a chain entry is a map');
  const e = value as Record<string, unknown>;
  if (e.v !== CHAIN_ENTRY_VERSION) throw malformed('unsupported chain entry version');
  if (typeof e.t !== 'string' || !TYPES.has(e.t)) throw malformed('unknown chain entry type');
  if (!isUint(e.i) || !isUint(e.ts)) throw malformed('index and timestamp must be non-negative integers');
  if (!(e.sig instanceof Uint8Array) || e.sig.length !== 64) throw malformed('signature must be 64 bytes');
  for (const [key, val] of Object.entries(e)) {
    if (key === 'v' || key === 't' || key === 'i' || key === 'ts' || key === 'sig') continue;
    const kind = FIELDS[key];
    if (kind === undefined) throw malformed(`unknown field "${key}"`);
    if (!fieldOk(kind, val)) throw malformed(`field "${key}" has the wrong shape`);
  }
  // Re-encoding must give the same bytes: a non-canonical encoding would let one entry have two hashes.
  const canonical = encodeCanonical(e);
  if (canonical.length !== bytes.length || canonical.some((b, k) => b !== bytes[k])) {
    throw malformed('chain entry is not canonically encoded');
  }
  return { entry: e as unknown as ChainEntry, bytes: bytes.slice(), hash: entryHash(suite, bytes) };
}

function fieldOk(kind: FieldShape, val: unknown): boolean {
  switch (kind) {
    case 'bytes32':
      return val instanceof Uint8Array && val.length === 32;
    case 'bytes16':
      return val instanceof Uint8Array && val.length === 16;
    case 'id-or-hash':
      return val instanceof Uint8Array && (val.length === 16 || val.length === 32);
    case 'card':
      return val instanceof Uint8Array && val.length === 129;
    case 'sig':
      return val instanceof Uint8Array && val.length === 64;
    case 'statement':
      return val instanceof Uint8Array && val.length === KEY_STATEMENT_BYTES;
    case 'uint':
      return isUint(val);
    case 'u32':
      return isUint(val) && val <= MAX_LOG_POSITION;
    case 'role':
      return val === 'device' || val === 'recovery';
  }
}

function isUint(v: unknown): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
}

function malformed(message: string): CodecError {
  return new CodecError('CHAIN_ENTRY_MALFORMED', message);
}

function stripUndefined<T extends object>(o: T): T {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(o)) if (v !== undefined) out[k] = v;
  return out as T;
}

