/**
 * multikey-sync — end-to-end encrypted multi-device sync with per-device keying.
 * This file is the whole browser-safe public API, layer by layer; read it top to bottom.
 * Node-only parts live in `multikey-sync/node` (SQLite replica) and `multikey-sync/server`.
 */

// Errors: one hierarchy, stable codes (docs/errors.md).
export {
  MultikeySyncError,
  ValidationError,
  CodecError,
  CryptoError,
  UsageError,
  StorageError,
  RemoteError,
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
export type { DeviceOptions, EstablishedPairKey } from './core/device.js';
export {
  encodeDevicePublic,
  decodeDevicePublic,
  verifyDevicePublic,
  deviceIdOf,
  DEVICE_ID_BYTES,
  DEVICE_PUBLIC_BYTES,
} from './core/devicePublic.js';
export type { DevicePublic } from './core/devicePublic.js';
export { DEFAULT_ARGON2, PASSPHRASE_BLOB_BYTES } from './core/passphraseBlob.js';

// Key epochs and pair keys: each device signs an X-Wing key per epoch (its key statement); a
// sender establishes a pair key toward each recipient's newest statement (Device.establishPairKey,
// Device.acceptPairKey), and seals and opens under it.
export type { EpochKeys, OwnEpoch } from './core/epochKeys.js';
export { decodeKeyStatement, verifyKeyStatement, KEY_STATEMENT_BYTES } from './core/keyStatement.js';
export type { KeyStatement } from './core/keyStatement.js';
export { PAIR_KEY_BYTES } from './core/pairKey.js';

// Envelopes: seal once per record, wrap per device under its pair key.
export { seal } from './core/seal.js';
export type { SealInput, SealOptions, SealRecipient } from './core/seal.js';
export { open } from './core/open.js';
export type { OpenedEnvelope, OpenOptions, PairKeyLookup } from './core/open.js';
export { grantEnvelope, openWithGrant, grantRecordId, GRANT_BYTES } from './core/grant.js';
export { parseEnvelope, HEADER_BYTES, STANZA_BYTES, MAX_RECIPIENTS, DEFAULT_MAX_ENVELOPE_BYTES } from './core/envelopeFormat.js';
export type { EnvelopeHeader, EnvelopeKind, ParsedEnvelope } from './core/envelopeFormat.js';
// A pull returns envelopes and log checkpoints in one stream: this tells them apart.
export { isCheckpoint } from './core/logCheckpoint.js';

// Records.
export { encodeValue, encodeCanonical, decodeValue, DEFAULT_CBOR_LIMITS } from './core/cbor.js';
export type { CborLimits } from './core/cbor.js';
export { validateCallRecord, isCallRecord } from './core/callRecord.js';
export type { CallRecord, CallService, CallDirection } from './core/callRecord.js';

// Enrollment: the signed device chain, pairing, revocation, recovery.
export { Account } from './enrollment/account.js';
export type { AccountOptions, CreateAccountOptions, CodePairing, RecoveredAccount } from './enrollment/account.js';
export type { LogCut, LogHeads } from './enrollment/logCut.js';
export type { SecurityWarning, SecurityWarningListener } from './enrollment/securityWarning.js';
export { DeviceChain } from './enrollment/deviceChain.js';
export { ForkAlarm } from './enrollment/forkAlarm.js';
export type { ForkAlarmReason } from './enrollment/forkAlarm.js';
export type {
  ChainEvent,
  DeviceAddedEvent,
  DeviceRemovedEvent,
  KeyRotatedEvent,
  RecoveryStartedEvent,
  RecoveryVetoedEvent,
} from './enrollment/chainEvent.js';
export type { EnrollmentTransport, TransportFactory } from './enrollment/transport.js';
export { createPairingOffer, encodePairingOffer, decodePairingOffer, DEFAULT_OFFER_TTL_MS } from './enrollment/pairingOffer.js';
export type { PairingOffer } from './enrollment/pairingOffer.js';
export type { ApproveOfferOptions, JoinWithOfferOptions } from './enrollment/qrPairing.js';
export type { SasOptions } from './enrollment/codePairing.js';
export { createRecoveryWords, recoveryDevice } from './enrollment/recoveryWords.js';
export { cardAtPosition, DEFAULT_RECOVERY_DELAY_MS, MIN_RECOVERY_DELAY_MS } from './enrollment/chainState.js';
export type { ChainState, ChainDevice, PastCard, RemovedDevice } from './enrollment/chainState.js';

// Transport: the HTTP client for the sync server, and the server clock it learns (bounded).
export { HttpClient } from './client/httpClient.js';
export type { HttpClientOptions } from './client/httpClient.js';
export { ServerClock, MAX_CLOCK_OFFSET_MS } from './core/serverClock.js';

// Sync: local-first replicas.
export { Replica } from './sync/replica.js';
export type { ReplicaOptions, ReplicaEvents, SyncReport, WithheldReport, SyncAccount, SyncChain, SyncTransport } from './sync/replica.js';
export type { LogIssue } from './sync/logHeads.js';
export type { Rejection } from './sync/inbound.js';
export { DEFAULT_EPOCH_POLICY } from './sync/outbound.js';
export type { EpochPolicy } from './sync/outbound.js';
export type { LiveSync, LiveLoopOptions } from './sync/liveLoop.js';
export { DEFAULT_SYNC_TIMEOUT_MS } from './sync/syncDeadline.js';
export { Collection } from './sync/collection.js';
export type { CollectionOptions, Entry, ListFilter } from './sync/collection.js';
export { callLogOptions, listCalls, callFilter, isMissed, CALL_RETENTION_DAYS } from './sync/callLog.js';
export type { CallFilter } from './sync/callLog.js';
export { MemoryLocalStore } from './sync/memoryLocalStore.js';
export { saveDevice, loadDevice, VAULT_KEYS } from './sync/deviceVault.js';
export { IndexedDbLocalStore } from './sync/indexedDbLocalStore.js';
export type { IndexedDbLocalStoreOptions } from './sync/indexedDbLocalStore.js';
export { saveDeviceWithKey, loadDeviceWithKey, WEBCRYPTO_VAULT_KEY, WEBCRYPTO_VAULT_BYTES } from './sync/webCryptoVault.js';
export type { LocalStore, LocalRecord } from './sync/localStore.js';
// The rest of the LocalStore contract, for a store of one's own (test/sync/localStoreConformance.ts checks one).
export type {
  AckExtras,
  CountOptions,
  HeldEnvelopeInput,
  KeyedRecord,
  ListOptions,
  OutboxItem,
  OutboxItemInput,
  PushedKey,
  RecordPage,
  RemoteExtras,
  VersionClaim,
  VersionEntry,
} from './sync/localStore.js';
export type { Version } from './sync/version.js';
