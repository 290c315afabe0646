/**
 * Property test of device logs against a reference model written independently of the
 * adapters: random pushes and purges carrying checkpoints for two devices, at random positions
 * with right or wrong predecessors and one of two bodies per position (so appends, re-pushes
 * and conflicts are all common). Each call's outcome, and then the pulled checkpoints, the
 * heads and the usage must match the model.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { LogAppend, StoredCheckpoint } from '../../../src/storage/index.js';
import { envelope, filled, newAccount, pullItems, PROPERTY_RUNS, useStore, type MakeStore } from '../fixtures.js';

const arbOp = fc.record({
  device: fc.integer({ min: 0, max: 1 }),
  position: fc.integer({ min: 1, max: 4 }),
  prev: fc.constantFrom('right' as const, 'wrong' as const),
  body: fc.integer({ min: 0, max: 1 }),
  call: fc.constantFrom('push' as const, 'push-empty' as const, 'purge' as const),
});

type Op = typeof arbOp extends fc.Arbitrary<infer T> ? T : never;

const DEVICES = [filled(16, 0xd0), filled(16, 0xd1)];

/** The checkpoint an op names: bytes and hash depend on (device, position, body) only. */
function checkpointOf(op: Op, prevHash: Uint8Array): LogAppend {
  const tag = [op.device, op.position, op.body];
  return {
    device: DEVICES[op.device] as Uint8Array,
    position: op.position,
    prevHash,
    hash: Uint8Array.from({ length: 32 }, (_, i) => tag[i % 3] as number),
    bytes: Uint8Array.of(...tag, 0x4c),
  };
}

interface ModelLog {
  /** Stored checkpoints by position. */
  readonly stored: Map<number, LogAppend>;
  head: LogAppend | undefined;
}

export function logModelSuite(makeStore: MakeStore): void {
  describe('device logs model', () => {
    const store = useStore(makeStore);

    it('matches the reference model on random appends, re-pushes and conflicts', async () => {
      await fc.assert(
        fc.asyncProperty(fc.array(arbOp, { minLength: 1, maxLength: 12 }), async (ops) => {
          const s = store();
          const id = await newAccount(s);
          const logs: ModelLog[] = DEVICES.map(() => ({ stored: new Map(), head: undefined }));
          const appended: LogAppend[] = [];
          let envelopeBytes = 0;
          let envelopeCount = 0;
          for (const op of ops) {
            const log = logs[op.device] as ModelLog;
            const before = log.stored.get(op.position - 1);
            const right = op.position === 1 ? new Uint8Array(32) : (before?.hash ?? new Uint8Array(32).fill(7));
            const cp = checkpointOf(op, op.prev === 'right' || op.position === 1 ? right : new Uint8Array(32).fill(0xee));
            const extendsHead =
              log.head === undefined
                ? cp.position === 1
                : cp.position === log.head.position + 1 && Buffer.from(cp.prevHash).equals(Buffer.from(log.head.hash));
            const repeat = !extendsHead && Buffer.from(log.stored.get(cp.position)?.bytes ?? []).equals(Buffer.from(cp.bytes));
            const e = envelope({ sender: cp.device });
            const call =
              op.call === 'purge'
                ? s.purgeEnvelopes(id, [], cp)
                : s.putEnvelopes(id, op.call === 'push' ? [e] : [], cp);
            const result = await call.then(
              () => 'ok',
              (error: { code?: string }) => error.code,
            );
            expect(result).toBe(extendsHead || repeat ? 'ok' : 'LOG_CONFLICT');
            if (extendsHead) {
              log.stored.set(cp.position, cp);
              log.head = cp;
              appended.push(cp);
            }
            if ((extendsHead || repeat) && op.call === 'push') {
              envelopeBytes += e.bytes.length;
              envelopeCount += 1;
            }
          }
          const pulled = (await pullItems(s, id, 0, 3)).filter((item): item is StoredCheckpoint => item.kind === 'log');
          expect(pulled.map(({ device, position, bytes }) => ({ device, position, bytes }))).toEqual(
            appended.map(({ device, position, bytes }) => ({ device, position, bytes })),
          );
          for (const [i, device] of DEVICES.entries()) {
            const head = (logs[i] as ModelLog).head;
            expect(await s.logHead(id, device)).toEqual(head === undefined ? null : { position: head.position, hash: head.hash, bytes: head.bytes });
          }
          const checkpointBytes = appended.reduce((sum, cp) => sum + cp.bytes.length, 0);
          expect(await s.usage(id)).toEqual({ bytes: checkpointBytes + envelopeBytes, envelopes: appended.length + envelopeCount });
        }),
        { numRuns: PROPERTY_RUNS },
      );
    });
  });
}
