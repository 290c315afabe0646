/**
 * The sync section's replica pull (`pull_vs_plain_sqlite`): a device's `Replica` pulls what
 * another device wrote, over loopback HTTP, into a `SqliteLocalStore` (library defaults: WAL,
 * synchronous = FULL), beside its plaintext twin (plainReplica.ts) doing the same into the same
 * kind of store. The sealed replica does everything a reader does: it verifies each checkpoint
 * (chain authority, signature, continuity), matches every envelope to its claim, opens it, and
 * keeps the version index that notices withheld records; the plaintext one decodes the frames.
 *
 * Two accounts of 5 devices (no recovery key) on one server over SQLite, built offline and
 * uploaded; in each, device 1 writes with a replica on a `MemoryLocalStore` and device 5 reads.
 * Each round, the writer puts and syncs N new calls (untimed), then the reader syncs (timed:
 * records per CPU-second of this process, server included). Rounds alternate the flows (AB,
 * BA, AB), after an untimed warm-up of each in which the sealed reader publishes its own keys.
 */
import { join } from 'node:path';
import type { HttpClient } from '../src/client/httpClient.js';
import type { CallRecord } from '../src/core/callRecord.js';
import { Device } from '../src/core/device.js';
import { Account } from '../src/enrollment/account.js';
import { DeviceChain } from '../src/enrollment/deviceChain.js';
import { SqliteStore } from '../src/storage/sqliteStore.js';
import { callLogOptions } from '../src/sync/callLog.js';
import type { LocalStore } from '../src/sync/localStore.js';
import { MemoryLocalStore } from '../src/sync/memoryLocalStore.js';
import { Replica } from '../src/sync/replica.js';
import { SqliteLocalStore } from '../src/sync/sqliteLocalStore.js';
import { callAt } from './calls.js';
import { median, round3, type BenchCase } from './harness.js';
import { buildChain, createOnServer, settle, startLoopback, type Loopback } from './loopback.js';
import { startMeter, type Elapsed } from './meters.js';
import { PlainReplica } from './plainReplica.js';

const DEVICES = 5;

/** What the replica pull adds to the sync section. */
export interface ReplicaPullResult {
  row: BenchCase;
  ratios: Record<string, number>;
  note: string;
}

type Kind = 'sealed' | 'plain';
const KINDS: readonly Kind[] = ['sealed', 'plain'];

interface Side {
  put(call: CallRecord): Promise<unknown>;
  sync(): Promise<unknown>;
  count(): Promise<number>;
  close(): Promise<void>;
}

function check(ok: boolean, what: string): void {
  if (!ok) throw new Error(`bench self-check failed: ${what}`);
}

/** An account of `DEVICES` devices made offline and uploaded; one `Account` per device. */
async function accountOf(loop: Loopback): Promise<Account<HttpClient>[]> {
  const devices: Device[] = [];
  for (let i = 0; i < DEVICES; i++) devices.push(await Device.generate());
  const chain = buildChain(devices);
  await createOnServer(loop.client(devices[0]!), chain);
  const entries = chain.entries.map((e) => e.bytes);
  return devices.map((device) =>
    Account.restore({ device, chain: DeviceChain.fromEntries(device.suite, entries, { self: device.id }), transport: loop.client(device, chain.state.accountId) }),
  );
}

async function sealedSide(account: Account<HttpClient>, store: LocalStore): Promise<Side> {
  const replica = await Replica.open({ account, store });
  const calls = replica.collection('calls', callLogOptions());
  return { put: (c) => calls.put(c), sync: () => replica.sync(), count: () => calls.count(), close: () => replica.close() };
}

function plainSide(account: Account<HttpClient>, store: LocalStore): Side {
  const replica = new PlainReplica<CallRecord>(account, store, 'calls', callLogOptions());
  return { put: (c) => replica.put(c), sync: () => replica.sync(), count: () => store.countRecords('calls'), close: () => store.close() };
}

/** Runs the replica pull in `dir`; `records` per round, `rounds` rounds after `warmup` calls. */
export async function replicaPull(
  plan: { records: number; rounds: number; warmup: number },
  dir: string,
  clock: 'cpu' | 'wall',
  log: (line: string) => void,
): Promise<ReplicaPullResult> {
  const loop = await startLoopback(await SqliteStore.open(join(dir, 'replica-server.sqlite')));
  const sides: Partial<Record<Kind, { writer: Side; reader: Side }>> = {};
  try {
    log(`sync: two accounts of ${DEVICES} devices for the replica pull`);
    const sealed = await accountOf(loop);
    const plain = await accountOf(loop);
    sides.sealed = {
      writer: await sealedSide(sealed[0]!, new MemoryLocalStore()),
      reader: await sealedSide(sealed[DEVICES - 1]!, await SqliteLocalStore.open(join(dir, 'replica-sealed.sqlite'))),
    };
    sides.plain = {
      writer: plainSide(plain[0]!, new MemoryLocalStore()),
      reader: plainSide(plain[DEVICES - 1]!, await SqliteLocalStore.open(join(dir, 'replica-plain.sqlite'))),
    };
    const written: Record<Kind, number> = { sealed: 0, plain: 0 };
    const times: Record<Kind, Elapsed[]> = { sealed: [], plain: [] };
    const round = async (kind: Kind, count: number): Promise<Elapsed> => {
      const { writer, reader } = sides[kind]!;
      for (let i = 0; i < count; i++) await writer.put(callAt(written[kind] + i));
      await settle();
      await writer.sync();
      const meter = startMeter();
      await reader.sync();
      const elapsed = meter.stop();
      written[kind] += count;
      const held = await reader.count();
      check(held === written[kind], `the ${kind} reader holds ${held} calls, expected ${written[kind]}`);
      return elapsed;
    };
    for (const kind of KINDS) {
      log(`sync: replica pull, ${kind} warm-up`);
      // The sealed reader's first sync publishes its own keys; none of that is in the timed rounds.
      await sides[kind]!.reader.sync();
      await round(kind, plan.warmup);
    }
    for (let r = 0; r < plan.rounds; r++) {
      for (const kind of r % 2 === 0 ? KINDS : [...KINDS].reverse()) {
        log(`sync: replica pull, ${kind} round ${r + 1}/${plan.rounds}`);
        times[kind].push(await round(kind, plan.records));
      }
    }
    const n = plan.records;
    const perSec = (e: Elapsed, on: 'cpu' | 'wall'): number => (n * 1000) / Math.max(on === 'cpu' ? e.cpuMs : e.wallMs, 1e-3);
    const rate = (kind: Kind, on: 'cpu' | 'wall' = clock): number => median(times[kind].map((e) => perSec(e, on)));
    const ours = rate('sealed');
    const floor = rate('plain');
    return {
      row: {
        name: 'replica-pull',
        backend: 'sqlite',
        devices: DEVICES,
        opsPerSec: round3(ours),
        floorOpsPerSec: round3(floor),
        note: `${round3(ours / floor)}x the plaintext twin: Replica.sync() into SqliteLocalStore, checkpoints verified`,
        wallOpsPerSec: round3(rate('sealed', 'wall')),
        wallFloorOpsPerSec: round3(rate('plain', 'wall')),
        cpuSamples: times.sealed.map((e) => round3(perSec(e, 'cpu'))),
        floorCpuSamples: times.plain.map((e) => round3(perSec(e, 'cpu'))),
      },
      ratios: {
        pull_vs_plain_sqlite: round3(ours / floor),
        replica_pull_records_per_sec_sqlite: round3(ours),
        replica_pull_plain_records_per_sec_sqlite: round3(floor),
      },
      note:
        `sync: replica-pull = one device's Replica.sync() pulling ${n} new calls (written and pushed by another device of ${DEVICES}, in batches of 1,000 ` +
        `with their checkpoints) over HTTP into a SqliteLocalStore (synchronous=FULL), median of ${plan.rounds} round(s); floor = plainReplica.ts doing the same with plaintext frames`,
    };
  } finally {
    for (const side of Object.values(sides)) {
      await side.writer.close();
      await side.reader.close();
    }
    await loop.close();
  }
}
