/**
 * The pairing offer a new device shows as a QR code: its card, a one-time 32-byte pairing
 * secret, the server URL and an expiry. Whoever scans it learns the secret, which keys the
 * mailbox messages of the pairing; the server relays them but cannot read or substitute them.
 *
 * URI form: `multikey-sync:pair?o=` + base64url(canonical CBOR {v: 1, dev: card, s: secret,
 * exp: ms, url: string}).
 */
import { CodecError, ValidationError } from '../errors.js';
import { fromBase64Url, toBase64Url } from '../crypto/bytes.js';
import type { CryptoProvider } from '../crypto/provider.js';
import { systemRandom, type RandomSource } from '../crypto/random.js';
import { decodeValue, encodeCanonical } from '../core/cbor.js';
import type { Device } from '../core/device.js';
import { decodeDevicePublic, encodeDevicePublic, type DevicePublic } from '../core/devicePublic.js';

const URI_PREFIX = 'multikey-sync:pair?o=';
/** How long an offer stays valid by default: 10 minutes. */
export const DEFAULT_OFFER_TTL_MS = 10 * 60 * 1000;

/** A decoded pairing offer. */
export interface PairingOffer {
  readonly device: DevicePublic;
  readonly secret: Uint8Array;
  readonly expiresAt: number;
  readonly serverUrl: string;
}

/** Makes an offer for `device` to show; keep `secret` on the device until pairing ends. */
export function createPairingOffer(
  device: Device,
  serverUrl: string,
  options: { now?: number; ttlMs?: number; random?: RandomSource } = {},
): PairingOffer {
  if (typeof serverUrl !== 'string' || !/^https?:\/\//.test(serverUrl)) {
    throw new ValidationError('PAIRING_OFFER_INVALID', 'the server URL must be http(s)');
  }
  return {
    device: device.public,
    secret: (options.random ?? systemRandom)(32),
    expiresAt: (options.now ?? Date.now()) + (options.ttlMs ?? DEFAULT_OFFER_TTL_MS),
    serverUrl,
  };
}

/** The offer as a URI for a QR code. */
export function encodePairingOffer(offer: PairingOffer): string {
  const bytes = encodeCanonical({
    v: 1,
    dev: encodeDevicePublic(offer.device),
    s: offer.secret,
    exp: offer.expiresAt,
    url: offer.serverUrl,
  });
  return URI_PREFIX + toBase64Url(bytes);
}

/**
 * Parses and checks a scanned offer.
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
    typeof o !== 'object' || o === null || o.v !== 1 || !(o.dev instanceof Uint8Array) ||
    !(o.s instanceof Uint8Array) || o.s.length !== 32 || !Number.isSafeInteger(o.exp) || (o.exp as number) < 0 ||
    typeof o.url !== 'string' || !/^https?:\/\//.test(o.url) || Object.keys(o).length !== 5
  ) {
    throw bad();
  }
  let device: DevicePublic;
  try {
    device = decodeDevicePublic(suite, o.dev);
  } catch {
    throw bad();
  }
  const expiresAt = o.exp as number;
  if (now >= expiresAt) throw new ValidationError('PAIRING_OFFER_EXPIRED', 'this pairing code has expired: make a new one');
  return { device, secret: o.s, expiresAt, serverUrl: o.url };
}
