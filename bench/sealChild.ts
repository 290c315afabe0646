/**
 * A helper process that seals call records for the e2e section's million-record setup, so the
 * parent can store one batch while the next ones are sealed on the other core. (Worker threads
 * would be lighter, but tsx's loader does not reach them on Node 20.)
 *
 * Protocol over IPC (advanced serialization): the first message is a {@link SealSetup}; each
 * later `{from, to}` is answered with the envelopes of calls `from`..`to - 1` packed in one
 * buffer. Sealed exactly as `Replica` would seal `calls.put(callAt(i))`, sequence `i + 1`.
 */
import { Device } from '../src/core/device.js';
import { decodeDevicePublic, type DevicePublic } from '../src/core/devicePublic.js';
import { seal } from '../src/core/seal.js';
import { CALL_RETENTION_DAYS } from '../src/sync/callLog.js';
import { bodyToWire } from '../src/sync/recordBody.js';
import { callAt } from './calls.js';

const DAY_MS = 86_400_000;

/** What the sealing process needs once. */
export interface SealSetup {
  secrets: Uint8Array;
  recipients: Uint8Array[];
  accountId: Uint8Array;
  chainHead: Uint8Array;
  now: number;
}

/** One batch, answered with {@link SealedBatch}. */
export interface SealJob {
  from: number;
  to: number;
}

/** Envelopes `from`..`to - 1`, back to back in `bytes`, with their lengths. */
export interface SealedBatch {
  from: number;
  bytes: Uint8Array;
  lengths: number[];
}

let writer: Device | undefined;
let cards: DevicePublic[] = [];
let setup: SealSetup | undefined;

function sealRange({ from, to }: SealJob): SealedBatch {
  const s = setup!;
  const expiryDay = Math.floor(s.now / DAY_MS) + CALL_RETENTION_DAYS + 1;
  const envelopes: Uint8Array[] = [];
  for (let i = from; i < to; i++) {
    const call = callAt(i);
    envelopes.push(
      seal(writer!, s.accountId, cards, {
        body: bodyToWire({ collection: 'calls', sortTime: call.startedAt, value: call, expiresAt: call.startedAt + CALL_RETENTION_DAYS * DAY_MS }),
        revision: 1,
        sequence: i + 1,
        chainHead: s.chainHead,
        expiryDay,
      }),
    );
  }
  const bytes = new Uint8Array(envelopes.reduce((n, e) => n + e.length, 0));
  let at = 0;
  for (const e of envelopes) {
    bytes.set(e, at);
    at += e.length;
  }
  return { from, bytes, lengths: envelopes.map((e) => e.length) };
}

process.on('message', (message: SealSetup | SealJob) => {
  void (async () => {
    if ('secrets' in message) {
      setup = message;
      writer = await Device.fromSecrets(message.secrets);
      cards = message.recipients.map((bytes) => decodeDevicePublic(writer!.suite, bytes));
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
