/**
 * The e2e section's memory figure: one device pulls a million records (issue 5:
 * `sync_1m_peak_rss_mib`, under 300 MiB), alone in a child process (pullChild.ts) so the peak
 * RSS measured is the device's own, while the server runs in this process.
 *
 * Setup: an account of a writer and a reader (paired by QR, recovery key on), and the writer's
 * calls sealed for the account's devices exactly as `Replica` seals them, under pair keys the
 * writer establishes toward each (published by its first checkpoint), stored straight into the
 * server's SqliteStore with `putEnvelopes`, 1,000 at a time, each thousand with the writer's
 * next signed log checkpoint claiming them, while two helper processes (sealChild.ts) seal the
 * next batches. The reader's replica file is opened once here, so it holds the reader's key ring
 * (its epoch secret, which the pair keys are made for) as it would after the reader's first run.
 * The pull then goes through HTTP as any device's would, and checks every checkpoint and claim.
 *
 * Durability is off for this figure (synchronous = NORMAL for the server's store and the
 * reader's): it spares 4,000 fsyncs per million records, which changes how long the pull takes,
 * not what it holds in memory. The server's per-account quotas are raised so the records fit.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { HttpClient } from '../src/client/httpClient.js';
import { encodeValue } from '../src/core/cbor.js';
import { encodeDevicePublic } from '../src/core/devicePublic.js';
import { parseEnvelope } from '../src/core/envelopeFormat.js';
import { MAX_CLAIMS, NO_PREVIOUS, signCheckpoint, type PairKeyOffer } from '../src/core/logCheckpoint.js';
import { equalBytes } from '../src/crypto/bytes.js';
import type { Account } from '../src/enrollment/account.js';
import { logAppendOf } from '../src/server/logCheck.js';
import { SqliteStore } from '../src/storage/sqliteStore.js';
import type { EnvelopeInput } from '../src/storage/store.js';
import { Replica } from '../src/sync/replica.js';
import { SqliteLocalStore } from '../src/sync/sqliteLocalStore.js';
import { sealingDevices } from '../src/sync/writers.js';
import { round3, type BenchCase } from './harness.js';
import { pairedAccounts, startLoopback, type Loopback } from './loopback.js';
import { startMeter } from './meters.js';
import type { PullChildReport } from './pullChild.js';
import type { SealedBatch, SealJob, SealSetup } from './sealChild.js';

const BATCH = 10_000;

/** What the memory figure adds to the e2e section's results. */
export interface BigPullResult {
  row: BenchCase;
  ratios: Record<string, number>;
  note: string;
}

/**
 * Seals `count` calls from `writer` and stores them in `store` directly, logged as the writer's
 * pushes would be; two helpers seal, this process signs the checkpoints and stores.
 */
async function bulkLoad(store: SqliteStore, writer: Account<HttpClient>, count: number, log: (line: string) => void): Promise<void> {
  const now = Date.now();
  const device = writer.device;
  const state = writer.chain.state;
  // kek(writer→d, ref) toward every device it seals for (itself and the recovery key included),
  // ref = the position of the checkpoint that publishes them: the writer's next.
  const stored0 = await store.logHead(writer.accountId, device.id);
  let position = stored0?.position ?? 0;
  let prev = stored0?.hash ?? NO_PREVIOUS;
  const ref = position + 1;
  const offers: PairKeyOffer[] = [];
  const recipients: SealSetup['recipients'] = [];
  for (const d of sealingDevices(state, now)) {
    const self = equalBytes(d.card.id, device.id);
    const made = device.establishPairKey(self ? device.public : d.card, self ? device.epochs.current!.statement : d.keyStatement, ref);
    offers.push({ recipient: d.card.id, epoch: made.epoch, ciphertext: made.ciphertext });
    recipients.push({ card: encodeDevicePublic(self ? device.public : d.card), ref, key: made.key });
  }
  const setup: SealSetup = { secrets: device.exportSecrets(), recipients, accountId: writer.accountId, now };
  const script = fileURLToPath(new URL('./sealChild.ts', import.meta.url));
  const helpers = Array.from({ length: 2 }, () => fork(script, [], { serialization: 'advanced', stdio: ['ignore', 'ignore', 'inherit', 'ipc'] }));
  const ask = (helper: ChildProcess, message: SealSetup | SealJob): Promise<SealedBatch> =>
    new Promise((resolve, reject) => {
      const onExit = (code: number | null): void => reject(new Error(`a sealing process exited (${code})`));
      helper.once('exit', onExit);
      helper.once('message', (m) => {
        helper.off('exit', onExit);
        resolve(m as SealedBatch);
      });
      helper.send(message);
    });
  try {
    await Promise.all(helpers.map((h) => ask(h, setup)));
    let next = 0;
    let stored = 0;
    const pending = new Map<ChildProcess, Promise<{ helper: ChildProcess; sealed: SealedBatch }>>();
    const dispatch = (helper: ChildProcess): void => {
      if (next >= count) return;
      const job = { from: next, to: Math.min(count, next + BATCH) };
      next = job.to;
      pending.set(helper, ask(helper, job).then((sealed) => ({ helper, sealed })));
    };
    helpers.forEach(dispatch);
    while (pending.size > 0) {
      const { helper, sealed } = await Promise.race(pending.values());
      pending.delete(helper);
      dispatch(helper);
      let at = 0;
      for (let first = 0; first < sealed.lengths.length; first += MAX_CLAIMS) {
        const items: EnvelopeInput[] = [];
        const claims = [];
        for (let i = first; i < Math.min(first + MAX_CLAIMS, sealed.lengths.length); i++) {
          const bytes = sealed.bytes.subarray(at, (at += sealed.lengths[i]!));
          const p = parseEnvelope(bytes);
          items.push({ recordId: p.recordId, revision: p.revision, sender: p.sender, kind: p.kind, expiryDay: p.expiryDay, bytes });
          claims.push({ recordId: p.recordId, revision: p.revision, kind: p.kind, expiryDay: p.expiryDay, hash: sealed.hashes.subarray(i * 32, i * 32 + 32) });
        }
        position++;
        const checkpoint = signCheckpoint(device, writer.accountId, {
          sender: device.id,
          position,
          prev,
          chainHead: writer.chain.head,
          time: now,
          claims,
          purges: [],
          pairKeys: position === ref ? offers : [],
          seen: [],
        });
        prev = checkpoint.hash;
        await store.putEnvelopes(writer.accountId, items, logAppendOf(checkpoint));
        stored += items.length;
        if (stored % 250_000 === 0) log(`e2e: stored ${stored} envelopes`);
      }
    }
  } finally {
    for (const h of helpers) h.disconnect();
  }
}

/** Runs pullChild.ts for `reader` against `loop` and returns its report. */
async function pullInChild(loop: Loopback, reader: Account<HttpClient>, dir: string): Promise<PullChildReport> {
  const handoff = join(dir, 'reader.cbor');
  const replicaFile = join(dir, 'reader.sqlite');
  // The reader's replica file, opened once so it holds the reader's key ring (with its epoch secret).
  await (await Replica.open({ account: reader, store: await SqliteLocalStore.open(replicaFile, { synchronous: 'NORMAL' }) })).close();
  writeFileSync(handoff, encodeValue({ secrets: reader.device.exportSecrets(), chain: reader.chain.toBytes(), url: loop.url }));
  const script = fileURLToPath(new URL('./pullChild.ts', import.meta.url));
  const child = fork(script, [handoff, replicaFile, 'NORMAL'], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
  let report: PullChildReport | undefined;
  child.on('message', (m) => {
    report = m as PullChildReport;
  });
  const code = await new Promise<number | null>((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', resolve);
  });
  rmSync(handoff, { force: true });
  if (code !== 0 || report === undefined) throw new Error(`the pulling child failed (exit ${code})`);
  return report;
}

/** Loads `records` envelopes and has a device in a child process pull them all; files go in `dir`. */
export async function bigPull(records: number, dir: string, clock: 'cpu' | 'wall', log: (line: string) => void): Promise<BigPullResult> {
  const store = await SqliteStore.open(join(dir, 'big.sqlite'), { synchronous: 'NORMAL', quotaBytes: 2 ** 40, maxEnvelopes: 10_000_000 });
  const loop = await startLoopback(store);
  try {
    log(`e2e: pairing a writer and a reader, loading ${records} envelopes for the memory figure`);
    const [writer, reader] = await pairedAccounts(loop, 2);
    const load = startMeter();
    await bulkLoad(store, writer!, records, log);
    log(`e2e: loaded in ${(load.stop().wallMs / 1000).toFixed(1)} s; the reader pulls them in a child process`);
    const server = startMeter();
    const big = await pullInChild(loop, reader!, dir);
    const serverCpuMs = server.stop().cpuMs;
    // Pulled items are the envelopes and the checkpoints (one per 1,000, and the reader's own).
    if (big.pulled < records || big.live !== records || big.rejected !== 0 || big.withheld !== 0) {
      throw new Error(`bench self-check failed: the child pulled ${big.pulled} items, holds ${big.live}, rejected ${big.rejected}, sees ${big.withheld} withheld, of ${records}`);
    }
    // The pipeline's CPU: the device's (child) and the server's (this process, which does nothing else meanwhile).
    const cpuMs = big.cpuMs + serverCpuMs;
    const rate = (records * 1000) / (clock === 'cpu' ? cpuMs : big.wallMs);
    const s = big.samplesMiB;
    const quarter = Math.max(1, Math.floor(s.length / 4));
    const shape = s.length > 0 ? `; RSS max ${Math.max(...s.slice(0, quarter))} MiB in the first quarter, ${Math.max(...s.slice(-quarter))} MiB in the last` : '';
    return {
      row: {
        name: `pull-${records >= 1e6 ? `${records / 1e6}m` : `${records / 1e3}k`}`,
        backend: 'sqlite+sqlite',
        devices: writer!.chain.activeDevices().length,
        opsPerSec: round3(rate),
        note: `peak RSS ${big.peakRssMiB.toFixed(0)} MiB (${big.rssBeforeMiB.toFixed(0)} before)`,
        wallOpsPerSec: round3((records * 1000) / big.wallMs),
        deviceCpuOpsPerSec: round3((records * 1000) / big.cpuMs),
        peakRssMiB: round3(big.peakRssMiB),
        rssBeforeMiB: round3(big.rssBeforeMiB),
        rssSamplesMiB: s,
      },
      ratios: { sync_1m_peak_rss_mib: round3(big.peakRssMiB), sync_1m_pull_records_per_sec: round3(rate) },
      note:
        `e2e: ${records} records pulled by one device (Replica.sync into a SqliteLocalStore, every checkpoint and claim checked) in a child process, the server in this one, ` +
        `synchronous=NORMAL on both; rate over both processes' CPU: peak RSS ${big.peakRssMiB.toFixed(0)} MiB ` +
        `(${big.kernelPeak ? 'kernel high-water mark' : 'sampled'}), ${big.rssBeforeMiB.toFixed(0)} MiB before the sync${shape}`,
    };
  } finally {
    await loop.close();
  }
}
