/**
 * A helper process that seals call records for the e2e section's million-record setup, so the
 * parent can store one batch while the next ones are sealed on the other core. (Worker threads
 * would be lighter, but tsx's loader does not reach them on Node 20.)
 *
 * Protocol over IPC (advanced serialization): the first message is a {@link SealSetup}; each
 * later `{from, to}` is answered with the envelopes of calls `from`..`to - 1` packed in one
 * buffer, and their hashes H (which the parent's checkpoints claim). Sealed exactly as `Replica`
 * would seal `calls.put(callAt(i))` at its first push, under the pair keys the parent
 * established toward each recipient.
 */
import { Device } from '../src/core/device.js';
import { decodeDevicePublic } from '../src/core/devicePublic.js';
import { sealEnvelope, type SealRecipient } from '../src/core/seal.js';
import { CALL_RETENTION_DAYS } from '../src/sync/callLog.js';
import { encodeClock } from '../src/sync/hlc.js';
import { bodyToWire } from '../src/sync/recordBody.js';
import { callAt } from './calls.js';

const DAY_MS = 86_400_000;

/** What the sealing process needs once: the writer, and each recipient's card (bytes) with its pair key. */
export interface SealSetup {
  secrets: Uint8Array;
  recipients: { card: Uint8Array; ref: number; key: Uint8Array }[];
  accountId: Uint8Array;
  now: number;
}

/** One batch, answered with {@link SealedBatch}. */
export interface SealJob {
  from: number;
  to: number;
}

/** Envelopes `from`..`to - 1`, back to back in `bytes`, with their lengths and their hashes (32 bytes each). */
export interface SealedBatch {
  from: number;
  bytes: Uint8Array;
  lengths: number[];
  hashes: Uint8Array;
}

let writer: Device | undefined;
let recipients: SealRecipient[] = [];
let setup: SealSetup | undefined;

/** The expiry day `Outbound` gives a call written at `now`. */
function callExpiryDay(now: number): number {
  return Math.floor(now / DAY_MS) + CALL_RETENTION_DAYS + 1;
}

function sealRange({ from, to }: SealJob): SealedBatch {
  const s = setup!;
  const expiryDay = callExpiryDay(s.now);
  const envelopes: Uint8Array[] = [];
  const hashes = new Uint8Array((to - from) * 32);
  for (let i = from; i < to; i++) {
    const call = callAt(i);
    // The clock the writer's HybridClock would stamp on its i-th write at \`now\` (hlc.ts): a reader refuses a body without one.
    const clock = encodeClock({ ms: s.now + Math.floor(i / 0x1_0000), counter: i % 0x1_0000 });
    const sealed = sealEnvelope(writer!, s.accountId, recipients, {
      body: bodyToWire({ collection: 'calls', sortTime: call.startedAt, value: call, expiresAt: call.startedAt + CALL_RETENTION_DAYS * DAY_MS, clock }),
      revision: 1,
      expiryDay,
    });
    sealed.contentKey.fill(0);
    envelopes.push(sealed.bytes);
    hashes.set(sealed.hash, (i - from) * 32);
  }
  const bytes = new Uint8Array(envelopes.reduce((n, e) => n + e.length, 0));
  let at = 0;
  for (const e of envelopes) {
    bytes.set(e, at);
    at += e.length;
  }
  return { from, bytes, lengths: envelopes.map((e) => e.length), hashes };
}

process.on('message', (message: SealSetup | SealJob) => {
  void (async () => {
    if ('secrets' in message) {
      setup = message;
      writer = await Device.fromSecrets(message.secrets);
      recipients = message.recipients.map((r) => ({ card: decodeDevicePublic(writer!.suite, r.card), ref: r.ref, key: r.key }));
      process.send?.({ ready: true });
      return;
    }
    process.send?.(sealRange(message));
  })().catch((error: unknown) => {
    console.error(error instanceof Error ? (error.stack ?? error.message) : error);
    process.exit(1);
  });
});
process.on('disconnect', () => process.exit(0));
