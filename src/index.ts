/**
 * multikey-sync — end-to-end encrypted multi-device sync with per-device keying.
 * This file is the whole public API of the core; read it top to bottom.
 */

// Errors: one hierarchy, stable codes (docs/errors.md).
export {
  MultikeySyncError,
  ValidationError,
  CodecError,
  CryptoError,
  UsageError,
  StorageError,
  isMultikeySyncError,
} from './errors.js';
export type { ErrorOptions } from './errors.js';

// Crypto suite 1 on two backends.
export { loadSuite, DEFAULT_BACKEND } from './crypto/suite.js';
export type { BackendName, CryptoProvider, Argon2Params } from './crypto/provider.js';
export type { RandomSource } from './crypto/random.js';
export { equalBytes, toHex, fromHex } from './crypto/bytes.js';

// Devices.
export { Device, DEVICE_SECRET_BYTES } from './core/device.js';
export type { DeviceOptions, PairwiseDirection } from './core/device.js';
export {
  encodeDevicePublic,
  decodeDevicePublic,
  verifyDevicePublic,
  deviceIdOf,
  DEVICE_ID_BYTES,
  DEVICE_PUBLIC_BYTES,
} from './core/devicePublic.js';
export type { DevicePublic } from './core/devicePublic.js';
export { DeviceDirectory } from './core/deviceDirectory.js';
export type { DeviceLookup } from './core/deviceDirectory.js';
export { DEFAULT_ARGON2, PASSPHRASE_BLOB_BYTES } from './core/passphraseBlob.js';

// Envelopes: seal once per record, wrap per device.
export { seal } from './core/seal.js';
export type { SealInput, SealOptions } from './core/seal.js';
export { open } from './core/open.js';
export type { OpenedEnvelope, OpenOptions } from './core/open.js';
export { grantEnvelope, openWithGrant, grantRecordId, GRANT_BYTES } from './core/grant.js';
export { parseEnvelope, HEADER_BYTES, STANZA_BYTES, MAX_RECIPIENTS, DEFAULT_MAX_ENVELOPE_BYTES } from './core/envelopeFormat.js';
export type { EnvelopeHeader, EnvelopeKind, ParsedEnvelope } from './core/envelopeFormat.js';

// Records.
export { encodeValue, encodeCanonical, decodeValue, DEFAULT_CBOR_LIMITS } from './core/cbor.js';
export type { CborLimits } from './core/cbor.js';
export { validateCallRecord, isCallRecord } from './core/callRecord.js';
export type { CallRecord } from './core/callRecord.js';
