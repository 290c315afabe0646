/**
 * The pairing offer a new device shows as a QR code: its card, a one-time 32-byte pairing
 * secret, a commitment to a nonce only the new device knows, the server URL and an expiry.
 * Whoever scans it learns the secret, which keys the mailbox messages of the pairing; the
 * server relays them but cannot read or substitute them. Someone who photographs the QR learns
 * the secret too, which is why the new device trusts no account until its user has compared
 * the short authentication string (sas.ts) whose nonce this offer commits to.
 *
 * URI form: `multikey-sync:pair?o=` + base64url(canonical CBOR {v: 2, dev: card, s: secret,
 * c: commitment, exp: ms, url: string}).
 */
import { CodecError, UsageError, ValidationError } from '../errors.js';
import { fromBase64Url, toBase64Url } from '../crypto/bytes.js';
import type { CryptoProvider } from '../crypto/provider.js';
import { systemRandom, type RandomSource } from '../crypto/random.js';
import { decodeValue, encodeCanonical } from '../core/cbor.js';
import type { Device } from '../core/device.js';
import { decodeDevicePublic, encodeDevicePublic, type DevicePublic } from '../core/devicePublic.js';
import { sasCommitment } from './sas.js';

const URI_PREFIX = 'multikey-sync:pair?o=';
/** The offer format version. */
export const PAIRING_OFFER_VERSION = 2;
/** How long an offer stays valid by default: 10 minutes. */
export const DEFAULT_OFFER_TTL_MS = 10 * 60 * 1000;

/** A decoded pairing offer. */
export interface PairingOffer {
  readonly device: DevicePublic;
  readonly secret: Uint8Array;
  /** The new device's commitment to its card and `nonce` (sas.ts). */
  readonly commitment: Uint8Array;
  readonly expiresAt: number;
  readonly serverUrl: string;
  /**
   * The nonce the commitment covers: only on the device that made the offer (never in the URI).
   * It is revealed to the approver once the approver has sent its own.
   */
  readonly nonce?: Uint8Array;
}

/**
 * Makes an offer for `device` to show; keep it (secret and nonce) on the device until pairing
 * ends. Draws the secret (32 bytes), then the nonce (32 bytes).
 * @throws {ValidationError} `PAIRING_OFFER_INVALID` for a server URL that is not http(s).
 */
export function createPairingOffer(
  device: Device,
  serverUrl: string,
  options: { now?: number; ttlMs?: number; random?: RandomSource } = {},
): PairingOffer {
  if (typeof serverUrl !== 'string' || !/^https?:\/\//.test(serverUrl)) {
    throw new ValidationError('PAIRING_OFFER_INVALID', 'the server URL must be http(s)');
  }
  const random = options.random ?? systemRandom;
  const secret = random(32);
  const nonce = random(32);
  return {
    device: device.public,
    secret,
    commitment: sasCommitment(device.suite, encodeDevicePublic(device.public), nonce),
    expiresAt: (options.now ?? Date.now()) + (options.ttlMs ?? DEFAULT_OFFER_TTL_MS),
    serverUrl,
    nonce,
  };
}

/**
 * The offer as a URI for a QR code (the nonce stays out).
 * @throws {UsageError} `ARGUMENT_INVALID` for an expiry that is not a non-negative safe integer.
 */
export function encodePairingOffer(offer: PairingOffer): string {
  if (!isUint(offer.expiresAt)) throw new UsageError('ARGUMENT_INVALID', 'an offer expires at a whole, non-negative number of ms');
  const bytes = encodeCanonical({
    v: PAIRING_OFFER_VERSION,
    dev: encodeDevicePublic(offer.device),
    s: offer.secret,
    c: offer.commitment,
    exp: offer.expiresAt,
    url: offer.serverUrl,
  });
  return URI_PREFIX + toBase64Url(bytes);
}

/**
 * Parses and checks a scanned offer (docs/protocol.md §20.1).
 * @throws {CodecError} `PAIRING_OFFER_INVALID`; {ValidationError} `PAIRING_OFFER_EXPIRED`.
 */
export function decodePairingOffer(suite: CryptoProvider, uri: string, now: number = Date.now()): PairingOffer {
  const bad = () => new CodecError('PAIRING_OFFER_INVALID', 'this is not a multikey-sync pairing code');
  if (typeof uri !== 'string' || !uri.startsWith(URI_PREFIX) || uri.length > 1024) throw bad();
  let value: unknown;
  try {
    value = decodeValue(fromBase64Url(uri.slice(URI_PREFIX.length)), { maxDepth: 1, maxItems: 16, maxBytes: 768 });
  } catch {
    throw bad();
  }
  const o = value as Record<string, unknown>;
  if (
    typeof o !== 'object' || o === null || Array.isArray(o) || Object.keys(o).length !== 6 ||
    o.v !== PAIRING_OFFER_VERSION || !(o.dev instanceof Uint8Array) ||
    !(o.s instanceof Uint8Array) || o.s.length !== 32 || !(o.c instanceof Uint8Array) || o.c.length !== 32 ||
    !isUint(o.exp) || typeof o.url !== 'string' || !/^https?:\/\//.test(o.url)
  ) {
    throw bad();
  }
  let device: DevicePublic;
  try {
    device = decodeDevicePublic(suite, o.dev);
  } catch {
    throw bad();
  }
  if (now >= o.exp) throw new ValidationError('PAIRING_OFFER_EXPIRED', 'this pairing code has expired: make a new one');
  return { device, secret: o.s, commitment: o.c, expiresAt: o.exp, serverUrl: o.url };
}

/** A non-negative safe integer: NaN, ±∞, fractions and negative numbers are not. */
function isUint(v: unknown): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
}
