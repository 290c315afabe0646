/**
 * Child process of the e2e section's memory figure: one device, alone in its process, pulls
 * every record of its account through HTTP into a SqliteLocalStore with `Replica.sync()`, while
 * the kernel tracks its peak RSS (VmHWM, reset just before the sync) and a timer samples RSS
 * once a second. Only the device is in this process; the server stays in the parent.
 *
 * argv: the file the parent wrote (CBOR: device secrets, saved chain, server URL), the path of
 * the replica's database (which holds the device's key ring) and its `synchronous` mode.
 * Reports one message over IPC and exits.
 */
import { readFileSync } from 'node:fs';
import { HttpClient } from '../src/client/httpClient.js';
import { decodeValue } from '../src/core/cbor.js';
import { Device } from '../src/core/device.js';
import { Account } from '../src/enrollment/account.js';
import { DeviceChain } from '../src/enrollment/deviceChain.js';
import { callLogOptions } from '../src/sync/callLog.js';
import { Replica } from '../src/sync/replica.js';
import { SqliteLocalStore } from '../src/sync/sqliteLocalStore.js';
import { peakRssMiB, resetPeakRss, rssMiB, startMeter } from './meters.js';

/** What the child reports. */
export interface PullChildReport {
  pulled: number;
  applied: number;
  rejected: number;
  withheld: number;
  live: number;
  wallMs: number;
  cpuMs: number;
  rssBeforeMiB: number;
  peakRssMiB: number;
  /** True when the peak is the kernel's high-water mark, false when it is the sampled maximum. */
  kernelPeak: boolean;
  /** RSS once a second during the sync, MiB. */
  samplesMiB: number[];
}

async function main(): Promise<void> {
  const [handoff, dbPath, synchronous = 'FULL'] = process.argv.slice(2);
  if (handoff === undefined || dbPath === undefined || (synchronous !== 'FULL' && synchronous !== 'NORMAL')) {
    throw new Error('usage: pullChild.ts HANDOFF_FILE REPLICA_DB [FULL|NORMAL]');
  }
  const limits = { maxBytes: 1 << 20, maxItems: 64, maxStringBytes: 1 << 20 };
  const saved = decodeValue(readFileSync(handoff), limits) as { secrets: Uint8Array; chain: Uint8Array; url: string };
  const device = await Device.fromSecrets(saved.secrets);
  const chain = DeviceChain.fromBytes(device.suite, saved.chain);
  const transport = new HttpClient({ baseUrl: saved.url, device, accountId: chain.accountId, retry: false });
  const account = Account.restore({ device, chain, transport });
  const store = await SqliteLocalStore.open(dbPath, { synchronous });
  // One sync() pulls everything, for minutes at 1M records: no total deadline (syncTimeoutMs).
  const replica = await Replica.open({ account, store, syncTimeoutMs: Infinity });
  const calls = replica.collection('calls', callLogOptions());

  const kernelPeak = resetPeakRss();
  const rssBeforeMiB = rssMiB();
  const samplesMiB: number[] = [];
  let sampledPeak = rssBeforeMiB;
  const timer = setInterval(() => {
    const now = rssMiB();
    samplesMiB.push(Math.round(now));
    sampledPeak = Math.max(sampledPeak, now);
  }, 1000);
  const meter = startMeter();
  const report = await replica.sync();
  const elapsed = meter.stop();
  clearInterval(timer);
  const peak = kernelPeak ? peakRssMiB() : Math.max(sampledPeak, rssMiB());
  const live = await calls.count();
  await replica.close();
  const out: PullChildReport = {
    pulled: report.pulled,
    applied: report.applied,
    rejected: report.rejected,
    withheld: report.withheld,
    live,
    wallMs: elapsed.wallMs,
    cpuMs: elapsed.cpuMs,
    rssBeforeMiB,
    peakRssMiB: peak,
    kernelPeak,
    samplesMiB,
  };
  process.send?.(out);
}

main().then(
  () => process.disconnect?.(),
  (error: unknown) => {
    console.error(error instanceof Error ? (error.stack ?? error.message) : error);
    process.exitCode = 1;
    process.disconnect?.();
  },
);
