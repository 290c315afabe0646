/**
 * Boundary checks of what commits with a local write (`LocalExtras`), a pull page
 * (`RemoteExtras`) or a push acknowledgement (`AckExtras`). Each adapter checks and copies all of it before its transaction starts, so an
 * invalid part changes nothing. Every check throws `StorageError` `INVALID_ARGUMENT`.
 */
import { CONTENT_KEY_BYTES, RECORD_ID_BYTES } from '../core/envelopeFormat.js';
import { ENVELOPE_HASH_BYTES } from '../core/envelopeHash.js';
import { DEVICE_ID_BYTES } from '../core/devicePublic.js';
import type { AckExtras, LocalExtras, RemoteExtras } from './localStore.js';
import { checkBytes, checkCollection, checkHeldItems, checkInt, checkMetaKey, checkMetaValue, invalid } from './localStoreValidate.js';
import { prepareVersionEntries, type PreparedVersionRow } from './storedVersionEntry.js';
import { MAX_REVISION } from './version.js';

/** A held envelope to store, copied. */
export interface PreparedHeld {
  readonly recordId: Uint8Array;
  readonly bytes: Uint8Array;
}

/** `RemoteExtras`, checked and copied; empty arrays where a part was not given. */
export interface PreparedRemoteExtras {
  readonly versions: readonly PreparedVersionRow[];
  readonly held: readonly PreparedHeld[];
  readonly meta: readonly (readonly [string, Uint8Array])[];
}

/** A pushed key, checked and copied. */
export interface PreparedPushedKey {
  readonly collection: string;
  readonly recordId: Uint8Array;
  readonly revision: number;
  readonly sender: Uint8Array;
  readonly contentKey: Uint8Array;
  readonly envelopeHash: Uint8Array;
}

/** `AckExtras`, checked and copied. */
export interface PreparedAckExtras {
  readonly keys: readonly PreparedPushedKey[];
  readonly meta: readonly (readonly [string, Uint8Array])[];
}

function checkExtras(extras: unknown): Record<string, unknown> {
  if (extras === undefined) return {};
  if (typeof extras !== 'object' || extras === null) invalid('extras must be an object');
  return extras as Record<string, unknown>;
}

/** Meta pairs: an array of [key, value], each key 1 to 256 characters, each value bytes. */
function prepareMeta(meta: unknown): [string, Uint8Array][] {
  if (meta === undefined) return [];
  if (!Array.isArray(meta)) invalid('extras.meta must be an array');
  return meta.map((pair: unknown, i) => {
    if (!Array.isArray(pair) || pair.length !== 2) invalid(`extras.meta[${i}] must be a [key, value] pair`);
    const [key, value] = pair as unknown[];
    checkMetaKey(key);
    checkMetaValue(value);
    return [key, value.slice()];
  });
}

function prepareHeld(held: unknown): PreparedHeld[] {
  if (held === undefined) return [];
  checkHeldItems(held, 'extras.held');
  return held.map((item) => ({ recordId: item.recordId.slice(), bytes: item.bytes.slice() }));
}

/** Checks and copies what commits with a local write: its meta pairs. */
export function prepareLocalExtras(extras: LocalExtras | undefined): readonly (readonly [string, Uint8Array])[] {
  return prepareMeta(checkExtras(extras).meta);
}

/** Checks and copies what commits with a pull page. */
export function prepareRemoteExtras(extras: RemoteExtras | undefined): PreparedRemoteExtras {
  const { versions, held, meta } = checkExtras(extras);
  return {
    versions: versions === undefined ? [] : prepareVersionEntries('extras.versions', versions),
    held: prepareHeld(held),
    meta: prepareMeta(meta),
  };
}

function preparePushedKey(label: string, key: unknown): PreparedPushedKey {
  if (typeof key !== 'object' || key === null) invalid(`${label} must be an object`);
  const k = key as Record<string, unknown>;
  checkCollection(k.collection);
  checkBytes(`${label}.recordId`, k.recordId, RECORD_ID_BYTES);
  checkInt(`${label}.revision`, k.revision, 0, MAX_REVISION);
  checkBytes(`${label}.sender`, k.sender, DEVICE_ID_BYTES);
  checkBytes(`${label}.contentKey`, k.contentKey, CONTENT_KEY_BYTES);
  checkBytes(`${label}.envelopeHash`, k.envelopeHash, ENVELOPE_HASH_BYTES);
  return {
    collection: k.collection,
    recordId: k.recordId.slice(),
    revision: k.revision,
    sender: k.sender.slice(),
    contentKey: k.contentKey.slice(),
    envelopeHash: k.envelopeHash.slice(),
  };
}

/** Checks and copies what commits with an outbox acknowledgement. */
export function prepareAckExtras(extras: AckExtras | undefined): PreparedAckExtras {
  const { keys, meta } = checkExtras(extras);
  if (keys !== undefined && !Array.isArray(keys)) invalid('extras.keys must be an array');
  return {
    keys: keys === undefined ? [] : keys.map((key: unknown, i) => preparePushedKey(`extras.keys[${i}]`, key)),
    meta: prepareMeta(meta),
  };
}
