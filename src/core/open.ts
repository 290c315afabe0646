/**
 * open: find this device's stanza, unwrap the content key with the pairwise key of the named
 * sender, decrypt and decode. A stanza that unwraps proves the named sender wrote exactly these
 * header and body bytes (only sender and recipient can derive that pairwise key, and the wrap is
 * bound to the envelope hash). "Not addressed to me" is `null`; everything else is a typed error.
 */
import { CryptoError } from '../errors.js';
import { expectBytes } from '../crypto/bytes.js';
import type { CryptoProvider } from '../crypto/provider.js';
import { decodeValue, type CborLimits } from './cbor.js';
import type { Device } from './device.js';
import type { DeviceLookup } from './deviceDirectory.js';
import { DEVICE_ID_BYTES } from './devicePublic.js';
import {
  ACCOUNT_ID_BYTES,
  DEFAULT_MAX_ENVELOPE_BYTES,
  parseEnvelope,
  STANZA_BYTES,
  type EnvelopeHeader,
  type ParsedEnvelope,
} from './envelopeFormat.js';
import { envelopeHash, WRAP_NONCE_BYTES } from './envelopeHash.js';
import { unpad } from './padding.js';
import { BODY_NONCE, bodyAad } from './seal.js';

/** An opened envelope: its public header fields and the decoded body. */
export interface OpenedEnvelope<T = unknown> extends EnvelopeHeader {
  body: T;
  /** H, the envelope hash every wrap and grant is bound to. */
  hash: Uint8Array;
}

/** Options of {@link open}. */
export interface OpenOptions {
  /** Largest envelope accepted (default 4 MiB). */
  maxEnvelopeBytes?: number;
  /** Limits for decoding the body's CBOR. */
  cborLimits?: Partial<CborLimits>;
}

/**
 * Opens an envelope addressed to `recipient` in `account`; returns null when it has no stanza
 * for this device.
 * @throws {CodecError} `ENVELOPE_*` for malformed bytes, `PADDING_INVALID`, `CBOR_*`.
 * @throws {CryptoError} `ENVELOPE_UNKNOWN_SENDER` when `senders` does not know the sender;
 *   `ENVELOPE_TAMPERED` when the wrap or body fails authentication.
 */
export function open<T = unknown>(
  recipient: Device,
  account: Uint8Array,
  senders: DeviceLookup,
  envelope: Uint8Array,
  options: OpenOptions = {},
): OpenedEnvelope<T> | null {
  return openParsed<T>(recipient, account, senders, parseEnvelope(envelope, options.maxEnvelopeBytes ?? DEFAULT_MAX_ENVELOPE_BYTES), options);
}

/**
 * {@link open} for an envelope the caller has already parsed with `parseEnvelope` (the sync
 * engine reads the header first to find the chain head), so the bytes are not parsed twice.
 * Not exported from the package: a hand-built `ParsedEnvelope` would skip the bounds checks.
 */
export function openParsed<T = unknown>(
  recipient: Device,
  account: Uint8Array,
  senders: DeviceLookup,
  parsed: ParsedEnvelope,
  options: OpenOptions = {},
): OpenedEnvelope<T> | null {
  expectBytes(account, ACCOUNT_ID_BYTES, 'account id', 'ACCOUNT_ID_INVALID');
  const unwrapped = unwrapContentKey(recipient, account, senders, parsed);
  if (unwrapped === null) return null;
  try {
    return decryptBody<T>(recipient.suite, account, parsed, unwrapped.hash, unwrapped.contentKey, options);
  } finally {
    unwrapped.contentKey.fill(0);
  }
}

/**
 * Finds `recipient`'s stanza and unwraps the content key; null when there is none. The caller
 * must wipe `contentKey` when done.
 * @throws {CryptoError} `ENVELOPE_UNKNOWN_SENDER`, `ENVELOPE_TAMPERED`.
 */
export function unwrapContentKey(
  recipient: Device,
  account: Uint8Array,
  senders: DeviceLookup,
  parsed: ParsedEnvelope,
): { contentKey: Uint8Array; hash: Uint8Array } | null {
  const wrapped = findStanza(parsed.stanzas, recipient.id);
  if (wrapped === undefined) return null;
  const sender = senders.get(parsed.sender);
  if (sender === undefined) {
    throw new CryptoError('ENVELOPE_UNKNOWN_SENDER', 'the envelope names a sender that is not in this device list');
  }
  const suite = recipient.suite;
  const hash = envelopeHash(suite, account, parsed.headerAndBody);
  const kek = recipient.pairwiseKey(sender, 'from');
  const contentKey = suite.aeadDecrypt(kek, hash.subarray(0, WRAP_NONCE_BYTES), wrapped, hash);
  if (contentKey === null) {
    throw new CryptoError('ENVELOPE_TAMPERED', 'the envelope was altered or was not sealed by its named sender');
  }
  return { contentKey, hash };
}

/**
 * Decrypts a parsed envelope's body with an already-authenticated content key (from a stanza or
 * a history grant bound to `hash`).
 */
export function decryptBody<T>(
  suite: CryptoProvider,
  account: Uint8Array,
  parsed: ParsedEnvelope,
  hash: Uint8Array,
  contentKey: Uint8Array,
  options: OpenOptions = {},
): OpenedEnvelope<T> {
  const padded = suite.aeadDecrypt(contentKey, BODY_NONCE, parsed.body, bodyAad(account, parsed.headerBytes));
  if (padded === null) throw new CryptoError('ENVELOPE_TAMPERED', 'the envelope body failed authentication');
  const body = decodeValue(unpad(padded), options.cborLimits) as T;
  return {
    kind: parsed.kind,
    recordId: parsed.recordId.slice(),
    revision: parsed.revision,
    sender: parsed.sender.slice(),
    sequence: parsed.sequence,
    chainHead: parsed.chainHead.slice(),
    expiryDay: parsed.expiryDay,
    recipientCount: parsed.recipientCount,
    body,
    hash,
  };
}

/** The wrapped key in the stanza addressed to `id`, or undefined. Ids are public: no timing concern. */
function findStanza(stanzas: Uint8Array, id: Uint8Array): Uint8Array | undefined {
  outer: for (let offset = 0; offset < stanzas.length; offset += STANZA_BYTES) {
    for (let i = 0; i < DEVICE_ID_BYTES; i++) if (stanzas[offset + i] !== id[i]) continue outer;
    return stanzas.subarray(offset + DEVICE_ID_BYTES, offset + STANZA_BYTES);
  }
  return undefined;
}
