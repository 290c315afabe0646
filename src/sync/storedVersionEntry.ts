/**
 * The form every adapter stores a version-index entry in (`VersionEntry`, design §9): one flat
 * row per record id, the claim's six columns all null when there is no claim, the two `have`
 * columns likewise. The memory adapter keeps these rows too and reads them back through the
 * same check, so both adapters accept and return the same entries.
 *
 * Writing checks every field at the boundary (`INVALID_ARGUMENT`); reading checks it again, and
 * a row that does not decode is `LOCAL_ROW_CORRUPT` naming its record id, never skipped.
 */
import { RECORD_ID_BYTES } from '../core/envelopeFormat.js';
import { ENVELOPE_HASH_BYTES } from '../core/envelopeHash.js';
import { DEVICE_ID_BYTES } from '../core/devicePublic.js';
import { toHex } from '../crypto/bytes.js';
import type { StorageError } from '../errors.js';
import type { Version } from './version.js';
import { MAX_REVISION } from './version.js';
import type { VersionClaim, VersionEntry } from './localStore.js';
import { localStoreError } from './localStoreErrors.js';
import { checkBytes, checkInt, invalid } from './localStoreValidate.js';

/** Highest claim expiry day (u16; 0 = none). */
export const MAX_EXPIRY_DAY = 0xffff;
/** Highest log position (u32; positions start at 1). */
export const MAX_POSITION = 0xffff_ffff;

/** A version-index row as stored; every field still unchecked when read back. */
export interface VersionRow {
  record_id: unknown;
  claim_revision: unknown;
  claim_sender: unknown;
  claim_hash: unknown;
  /** 1 for a tombstone claim, 0 for a record claim. */
  claim_tombstone: unknown;
  claim_expiry_day: unknown;
  claim_position: unknown;
  have_revision: unknown;
  have_sender: unknown;
  purged_up_to: unknown;
}

/** A checked row ready to store: the columns in `VersionRow` order, byte fields copied. */
export interface PreparedVersionRow extends VersionRow {
  record_id: Uint8Array;
  claim_revision: number | null;
  claim_sender: Uint8Array | null;
  claim_hash: Uint8Array | null;
  claim_tombstone: 0 | 1 | null;
  claim_expiry_day: number | null;
  claim_position: number | null;
  have_revision: number | null;
  have_sender: Uint8Array | null;
  purged_up_to: number;
}

function checkObject(label: string, value: unknown): asserts value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null) invalid(`${label} must be an object`);
}

function checkVersion(label: string, value: Record<string, unknown>): asserts value is Record<string, unknown> & Version {
  checkInt(`${label}.revision`, value.revision, 0, MAX_REVISION);
  checkBytes(`${label}.sender`, value.sender, DEVICE_ID_BYTES);
}

/**
 * Checks `entry` (labelled `label` in messages) and turns it into a row.
 * @throws StorageError `INVALID_ARGUMENT`.
 */
export function prepareVersionEntry(label: string, entry: unknown): PreparedVersionRow {
  checkObject(label, entry);
  const { recordId, claim, have, purgedUpTo } = entry;
  checkBytes(`${label}.recordId`, recordId, RECORD_ID_BYTES);
  checkInt(`${label}.purgedUpTo`, purgedUpTo, 0, MAX_REVISION);
  let claimColumns: Pick<
    PreparedVersionRow,
    'claim_revision' | 'claim_sender' | 'claim_hash' | 'claim_tombstone' | 'claim_expiry_day' | 'claim_position'
  > = {
    claim_revision: null,
    claim_sender: null,
    claim_hash: null,
    claim_tombstone: null,
    claim_expiry_day: null,
    claim_position: null,
  };
  if (claim !== null) {
    const at = `${label}.claim`;
    checkObject(at, claim);
    checkVersion(at, claim);
    checkBytes(`${at}.hash`, claim.hash, ENVELOPE_HASH_BYTES);
    if (claim.kind !== 'record' && claim.kind !== 'tombstone') invalid(`${at}.kind must be 'record' or 'tombstone'`);
    checkInt(`${at}.expiryDay`, claim.expiryDay, 0, MAX_EXPIRY_DAY);
    checkInt(`${at}.position`, claim.position, 1, MAX_POSITION);
    claimColumns = {
      claim_revision: claim.revision,
      claim_sender: claim.sender.slice(),
      claim_hash: claim.hash.slice(),
      claim_tombstone: claim.kind === 'tombstone' ? 1 : 0,
      claim_expiry_day: claim.expiryDay,
      claim_position: claim.position,
    };
  }
  let haveColumns: Pick<PreparedVersionRow, 'have_revision' | 'have_sender'> = { have_revision: null, have_sender: null };
  if (have !== null) {
    checkObject(`${label}.have`, have);
    checkVersion(`${label}.have`, have);
    haveColumns = { have_revision: have.revision, have_sender: have.sender.slice() };
  }
  return { record_id: recordId.slice(), ...claimColumns, ...haveColumns, purged_up_to: purgedUpTo };
}

/**
 * Checks an array of entries (`extras.versions`).
 * @throws StorageError `INVALID_ARGUMENT`.
 */
export function prepareVersionEntries(label: string, entries: unknown): PreparedVersionRow[] {
  if (!Array.isArray(entries)) invalid(`${label} must be an array`);
  return entries.map((entry, i) => prepareVersionEntry(`${label}[${i}]`, entry));
}

function corrupt(recordId: unknown, what: string): StorageError {
  const id = recordId instanceof Uint8Array ? toHex(recordId) : '(unreadable)';
  return localStoreError('LOCAL_ROW_CORRUPT', `stored version entry ${id} is corrupt: ${what}`);
}

function isBytes(value: unknown, length: number): value is Uint8Array {
  return value instanceof Uint8Array && value.length === length;
}

function isInt(value: unknown, min: number, max: number): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= min && value <= max;
}

function readClaim(row: VersionRow): VersionClaim | null {
  const columns = [
    row.claim_revision,
    row.claim_sender,
    row.claim_hash,
    row.claim_tombstone,
    row.claim_expiry_day,
    row.claim_position,
  ];
  if (columns.every((column) => column === null)) return null;
  if (!isInt(row.claim_revision, 0, MAX_REVISION)) throw corrupt(row.record_id, 'bad claim revision');
  if (!isBytes(row.claim_sender, DEVICE_ID_BYTES)) throw corrupt(row.record_id, 'bad claim sender');
  if (!isBytes(row.claim_hash, ENVELOPE_HASH_BYTES)) throw corrupt(row.record_id, 'bad claim hash');
  if (row.claim_tombstone !== 0 && row.claim_tombstone !== 1) throw corrupt(row.record_id, 'bad claim kind');
  if (!isInt(row.claim_expiry_day, 0, MAX_EXPIRY_DAY)) throw corrupt(row.record_id, 'bad claim expiry day');
  if (!isInt(row.claim_position, 1, MAX_POSITION)) throw corrupt(row.record_id, 'bad claim position');
  return {
    revision: row.claim_revision,
    sender: new Uint8Array(row.claim_sender),
    hash: new Uint8Array(row.claim_hash),
    kind: row.claim_tombstone === 1 ? 'tombstone' : 'record',
    expiryDay: row.claim_expiry_day,
    position: row.claim_position,
  };
}

function readHave(row: VersionRow): Version | null {
  if (row.have_revision === null && row.have_sender === null) return null;
  if (!isInt(row.have_revision, 0, MAX_REVISION)) throw corrupt(row.record_id, 'bad have revision');
  if (!isBytes(row.have_sender, DEVICE_ID_BYTES)) throw corrupt(row.record_id, 'bad have sender');
  return { revision: row.have_revision, sender: new Uint8Array(row.have_sender) };
}

/**
 * Decodes a stored row into a fresh `VersionEntry`.
 * @throws StorageError `LOCAL_ROW_CORRUPT`.
 */
export function readVersionEntry(row: VersionRow): VersionEntry {
  if (!isBytes(row.record_id, RECORD_ID_BYTES)) throw corrupt(row.record_id, 'bad record id');
  if (!isInt(row.purged_up_to, 0, MAX_REVISION)) throw corrupt(row.record_id, 'bad purged revision');
  return {
    recordId: new Uint8Array(row.record_id),
    claim: readClaim(row),
    have: readHave(row),
    purgedUpTo: row.purged_up_to,
  };
}
