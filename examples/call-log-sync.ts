/**
 * Three devices, one server, no explicit sync calls: each device runs `replica.live()`, which
 * pushes local writes at once and long-polls the server's change feed for everyone else's. A
 * call logged on the phone shows up on the laptop and the tablet, a call deleted on the laptop
 * disappears everywhere, and every change event is printed as it arrives.
 * Run: npx tsx examples/call-log-sync.ts
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  Account,
  Device,
  HttpClient,
  Replica,
  callLogOptions,
  createPairingOffer,
  encodePairingOffer,
  toHex,
  type CallRecord,
  type Collection,
  type LiveSync,
} from 'multikey-sync';
import { SqliteLocalStore } from 'multikey-sync/node';
import { createServer, SqliteStore } from 'multikey-sync/server';

const dir = mkdtempSync(join(tmpdir(), 'mks-example-sync-'));
const server = createServer({ store: await SqliteStore.open(join(dir, 'server.sqlite')) });
const { url } = await server.listen(0, '127.0.0.1');
console.log(`server on ${url}`);

const connect = (device: Device, accountId?: Uint8Array) =>
  new HttpClient({ baseUrl: url, device, ...(accountId === undefined ? {} : { accountId }) });

interface Member {
  name: string;
  account: Account<HttpClient>;
  replica: Replica;
  calls: Collection<CallRecord>;
  live?: LiveSync;
  /** The change printer's queue: events are synchronous, reading the record is not. */
  printed: Promise<void>;
}
const members: Member[] = [];

try {
  // The phone creates the account; the laptop and the tablet join by QR (see enroll-by-qr.ts).
  const phoneDevice = await Device.generate();
  const { account: phoneAccount } = await Account.create({ device: phoneDevice, transport: connect(phoneDevice) });
  const laptopAccount = await pairByQr(phoneAccount);
  const tabletAccount = await pairByQr(phoneAccount);
  // No refresh is needed here: the laptop joined before the tablet, but each live round refreshes
  // the chain before it pushes, and a write is sealed at push for the devices listed then.
  console.log(`account with ${phoneAccount.chain.activeDevices().length} keys: phone, laptop, tablet and the recovery key`);

  for (const [name, account] of [['phone', phoneAccount], ['laptop', laptopAccount], ['tablet', tabletAccount]] as const) {
    const store = await SqliteLocalStore.open(join(dir, `${name}.sqlite`));
    const replica = await Replica.open({ account, store });
    const member: Member = { name, account, replica, calls: replica.collection('calls', callLogOptions()), printed: Promise.resolve() };
    members.push(member);
    replica.on('change', (e) => {
      member.printed = member.printed.then(async () => {
        const value = e.deleted ? undefined : await member.calls.get(e.id);
        const what = e.deleted ? 'deleted' : `put ${describe(value!)}`;
        console.log(`  [${name.padEnd(6)}] ${e.origin.padEnd(6)} ${e.collection}/${toHex(e.id).slice(0, 8)} ${what}`);
      });
    });
  }
  const [phone, laptop, tablet] = members as [Member, Member, Member];
  for (const m of members) m.live = m.replica.live({ onError: (error) => console.log(`  [${m.name}] live sync error: ${String(error)}`) });

  console.log('\nthe phone logs three calls; live sync carries them to the others');
  const now = Date.now();
  const ids = [
    await phone.calls.put({ service: 'phone', direction: 'incoming', answered: true, peer: '+14155550123', startedAt: now - 3_600_000, durationSec: 312 }),
    await phone.calls.put({ service: 'facetime-audio', direction: 'outgoing', answered: true, peer: '+12125550187', startedAt: now - 1_800_000, durationSec: 64 }),
    await phone.calls.put({ service: 'phone', direction: 'incoming', answered: false, peer: '+16175550110', startedAt: now - 600_000, durationSec: 0 }),
  ];
  await until(async () => (await laptop.calls.count()) === 3 && (await tablet.calls.count()) === 3, 'laptop and tablet hold 3 calls');

  console.log('\nthe laptop deletes the missed call; the deletion travels as a tombstone');
  await laptop.calls.delete(ids[2]!);
  await until(async () => (await phone.calls.get(ids[2]!)) === undefined && (await tablet.calls.get(ids[2]!)) === undefined, 'the call is gone everywhere');

  console.log('\nthe tablet logs a call of its own');
  const fromTablet = await tablet.calls.put({ service: 'facetime-video', direction: 'outgoing', answered: true, peer: '+13035550142', startedAt: now, durationSec: 1_204 });
  await until(async () => (await phone.calls.get(fromTablet)) !== undefined && (await laptop.calls.get(fromTablet)) !== undefined, 'the tablet\'s call is everywhere');

  console.log('\nwhat each device holds now');
  for (const m of members) {
    const list = await m.calls.list();
    console.log(`  ${m.name.padEnd(6)} ${list.length} calls: ${list.map((e) => e.value.peer).join(', ')}`);
  }
} finally {
  for (const m of members) await m.live?.stop();
  for (const m of members) await m.printed;
  for (const m of members) await m.replica.close();
  await server.close();
  rmSync(dir, { recursive: true, force: true });
}

/** Pairs a fresh device into `approver`'s account by QR, both sides running at once. */
async function pairByQr(approver: Account<HttpClient>): Promise<Account<HttpClient>> {
  const device = await Device.generate();
  const offer = createPairingOffer(device, url);
  const fast = { pollMs: 100, timeoutMs: 10_000 };
  // The person compares the two screens: the approving device shows a code, the new device asks if it matches.
  let showCode!: (code: string) => void;
  const shownCode = new Promise<string>((resolve) => (showCode = resolve));
  const [joined] = await Promise.all([
    Account.joinWithOffer({ device, offer, transport: connect(device), connect, confirmSas: async (code) => code === (await shownCode), ...fast }),
    approver.approveOffer(encodePairingOffer(offer), { confirm: async () => true, showSas: showCode, ...fast }),
  ]);
  return joined;
}

/** Polls `done` until it holds, or fails after 10 s. */
async function until(done: () => Promise<boolean>, what: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!(await done())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  console.log(`  ✓ ${what}`);
}

function describe(c: CallRecord): string {
  const how = c.answered ? `${c.durationSec}s` : 'missed';
  return `${c.service} ${c.direction} ${c.peer} ${how}`;
}
