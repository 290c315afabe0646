/**
 * History handoff, the granting side: walk every envelope on the server, re-wrap the content
 * key of each one this device can open for the newly enrolled device (one unwrap and one wrap,
 * src/core/grant.ts), and send the grants in sealed bundles addressed to that device alone, in
 * the reserved `$grants` collection. The receiving side is the replica's pull.
 */
import { isMultikeySyncError, MultikeySyncError } from '../errors.js';
import type { Device } from '../core/device.js';
import type { DeviceLookup } from '../core/deviceDirectory.js';
import type { DevicePublic } from '../core/devicePublic.js';
import { parseEnvelope } from '../core/envelopeFormat.js';
import { grantParsed } from '../core/grant.js';
import { openParsed } from '../core/open.js';
import { seal } from '../core/seal.js';
import { bodyFromWire, bodyToWire, GRANTS_COLLECTION } from './recordBody.js';

const DAY_MS = 86_400_000;
const PAGE = 500;
/** Grants per bundle: 500 × 113 bytes stays well inside one CBOR byte-string limit. */
export const GRANTS_PER_BUNDLE = 500;
/** Bundles matter only to a device's first sync; the server may drop them after this. */
export const GRANT_BUNDLE_DAYS = 30;

/** What the handoff needs from the replica. */
export interface HandoffHost {
  device(): Device;
  readonly accountId: Uint8Array;
  chainHead(): Uint8Array;
  /** The senders' cards as of the chain head an envelope names (refreshing the chain if needed). */
  sendersAt(head: Uint8Array): Promise<DeviceLookup>;
  pull(after: number, limit: number): Promise<{ envelopes: Uint8Array[]; cursor: number; more: boolean }>;
  push(envelopes: readonly Uint8Array[]): Promise<unknown>;
  nextSequence(): Promise<number>;
  clock(): number;
}

/** Grants `to` every record this device can open; returns how many grants were sent. */
export async function handOffHistory(host: HandoffHost, to: DevicePublic, sinceDays?: number): Promise<number> {
  const now = host.clock();
  const since = sinceDays === undefined ? undefined : now - sinceDays * DAY_MS;
  let cursor = 0;
  let sent = 0;
  let batch: Uint8Array[] = [];
  const flush = async () => {
    if (batch.length === 0) return;
    const envelope = seal(host.device(), host.accountId, [to], {
      body: bodyToWire({ collection: GRANTS_COLLECTION, sortTime: now, grants: batch }),
      revision: 1,
      sequence: await host.nextSequence(),
      chainHead: host.chainHead(),
      expiryDay: Math.floor(now / DAY_MS) + GRANT_BUNDLE_DAYS,
    });
    await host.push([envelope]);
    sent += batch.length;
    batch = [];
  };
  for (;;) {
    const page = await host.pull(cursor, PAGE);
    for (const bytes of page.envelopes) {
      const grant = await grantOne(host, bytes, to, since);
      if (grant === null) continue;
      batch.push(grant);
      if (batch.length >= GRANTS_PER_BUNDLE) await flush();
    }
    cursor = page.cursor;
    if (!page.more) break;
  }
  await flush();
  return sent;
}

/** A grant of one envelope, or null when this device cannot open it (or it is out of range). */
async function grantOne(host: HandoffHost, bytes: Uint8Array, to: DevicePublic, since: number | undefined): Promise<Uint8Array | null> {
  try {
    const parsed = parseEnvelope(bytes);
    const senders = await host.sendersAt(parsed.chainHead);
    if (since !== undefined) {
      const opened = openParsed(host.device(), host.accountId, senders, parsed);
      if (opened === null) return null;
      const body = bodyFromWire(opened.body);
      if (body.collection === GRANTS_COLLECTION || body.sortTime < since) return null;
    }
    return grantParsed(host.device(), host.accountId, senders, parsed, to);
  } catch (error) {
    // An envelope this device cannot vouch for is simply not granted; a fork alarm stops all.
    if (isMultikeySyncError(error, 'FORK_ALARM') || !(error instanceof MultikeySyncError)) throw error;
    return null;
  }
}
