/**
 * Missed calls from VoIP apps. Apps that report calls through CallKit (WhatsApp, Signal, Skype,
 * Viber) land in the phone's call history, and so in the synced call log, as service 'voip'
 * with the app's bundle id. The phone logs a mixed history; the laptop syncs it and filters it
 * with `listCalls` (missed, service, peer, time). Records are validated before they are stored:
 * a VoIP call without a bundle id, and a few other bad records, are refused with their typed
 * error codes, and nothing is queued for the other devices. Run: npx tsx examples/voip-missed-calls.ts
 */
import {
  Account,
  Device,
  HttpClient,
  MemoryLocalStore,
  Replica,
  callLogOptions,
  createPairingOffer,
  encodePairingOffer,
  isMultikeySyncError,
  listCalls,
  type CallRecord,
  type Entry,
} from 'multikey-sync';
import { createServer, MemoryStore } from 'multikey-sync/server';

const server = createServer({ store: new MemoryStore() });
const { url } = await server.listen(0, '127.0.0.1');
console.log(`server on ${url} (in memory)`);
const connect = (device: Device, accountId?: Uint8Array) =>
  new HttpClient({ baseUrl: url, device, ...(accountId === undefined ? {} : { accountId }) });

try {
  const phoneDevice = await Device.generate();
  const { account: phone } = await Account.create({ device: phoneDevice, transport: connect(phoneDevice) });
  const laptopDevice = await Device.generate();
  const offer = createPairingOffer(laptopDevice, url);
  const fast = { pollMs: 100, timeoutMs: 10_000 };
  // The person compares the two screens: the approving device shows a code, the new device asks if it matches.
  let showCode!: (code: string) => void;
  const shownCode = new Promise<string>((resolve) => (showCode = resolve));
  const [laptop] = await Promise.all([
    Account.joinWithOffer({ device: laptopDevice, offer, transport: connect(laptopDevice), connect, confirmSas: async (code) => code === (await shownCode), ...fast }),
    phone.approveOffer(encodePairingOffer(offer), { confirm: async () => true, showSas: showCode, ...fast }),
  ]);
  const phoneReplica = await Replica.open({ account: phone, store: new MemoryLocalStore() });
  const laptopReplica = await Replica.open({ account: laptop, store: new MemoryLocalStore() });
  const phoneCalls = phoneReplica.collection('calls', callLogOptions());
  const laptopCalls = laptopReplica.collection('calls', callLogOptions());

  const now = Date.now();
  const min = 60_000;
  const alice = '+14155550123';
  const bob = '+12125550187';
  const carol = '+16175550110';
  const missedVoip = (app: string, peer: string, minutesAgo: number): CallRecord => ({
    service: 'voip', app, direction: 'incoming', answered: false, peer, startedAt: now - minutesAgo * min, durationSec: 0,
  });
  const history: CallRecord[] = [
    { service: 'phone', direction: 'incoming', answered: true, peer: alice, startedAt: now - 2_880 * min, durationSec: 540 },
    missedVoip('net.whatsapp.WhatsApp', alice, 1_500),
    { service: 'phone', direction: 'incoming', answered: false, peer: bob, startedAt: now - 1_200 * min, durationSec: 0 },
    missedVoip('org.whispersystems.signal', carol, 700),
    { service: 'facetime-video', direction: 'outgoing', answered: true, peer: carol, startedAt: now - 650 * min, durationSec: 312 },
    missedVoip('com.skype.skype', bob, 240),
    missedVoip('net.whatsapp.WhatsApp', alice, 45),
    missedVoip('com.viber', carol, 12),
    { service: 'phone', direction: 'outgoing', answered: true, peer: alice, startedAt: now - 5 * min, durationSec: 75 },
  ];
  for (const call of history) await phoneCalls.put(call);
  await phoneReplica.sync();
  await laptopReplica.sync();
  console.log(`the phone logged ${history.length} calls; the laptop synced ${await laptopCalls.count()}`);

  const show = (title: string, entries: Entry<CallRecord>[]) => {
    console.log(`\n${title}: ${entries.length}`);
    for (const { value: c } of entries) {
      const ago = Math.round((now - c.startedAt) / min);
      const via = c.service === 'voip' ? `${c.app} (VoIP, via CallKit)` : c.service;
      const how = c.answered ? `${c.direction} ${c.durationSec}s` : c.direction === 'incoming' ? 'missed' : 'not answered';
      console.log(`  ${String(ago).padStart(5)} min ago  ${c.peer}  ${via}, ${how}`);
    }
  };
  show('laptop, every missed call', await listCalls(laptopCalls, { missed: true }));
  show('laptop, missed VoIP calls only', await listCalls(laptopCalls, { missed: true, service: 'voip' }));
  show(`laptop, everything with ${alice}`, await listCalls(laptopCalls, { peer: alice, order: 'asc' }));
  show('laptop, missed in the last 12 hours', await listCalls(laptopCalls, { missed: true, from: now - 720 * min }));

  const byApp = new Map<string, number>();
  for (const { value } of await listCalls(laptopCalls, { service: 'voip' })) byApp.set(value.app!, (byApp.get(value.app!) ?? 0) + 1);
  console.log(`\nVoIP calls by app: ${[...byApp].map(([app, n]) => `${app} ${n}`).join(', ')}`);

  // Bad records are refused at `put`, before anything is sealed or queued.
  console.log('\ninvalid records the phone refuses');
  const bad: [string, CallRecord][] = [
    ['a VoIP call without the app\'s bundle id', { service: 'voip', direction: 'incoming', answered: false, peer: bob, startedAt: now, durationSec: 0 }],
    ['a bundle id that is not reverse-DNS', { service: 'voip', app: 'WhatsApp', direction: 'incoming', answered: false, peer: bob, startedAt: now, durationSec: 0 }],
    ['a bundle id on a plain phone call', { service: 'phone', app: 'com.viber', direction: 'incoming', answered: false, peer: bob, startedAt: now, durationSec: 0 }],
    ['a number not in E.164 form', { service: 'phone', direction: 'incoming', answered: false, peer: '(212) 555-0187', startedAt: now, durationSec: 0 }],
    ['a missed call with a duration', { service: 'phone', direction: 'incoming', answered: false, peer: bob, startedAt: now, durationSec: 30 }],
  ];
  for (const [what, record] of bad) {
    try {
      await phoneCalls.put(record);
      throw new Error(`accepted ${what}`);
    } catch (error) {
      if (!isMultikeySyncError(error)) throw error;
      console.log(`  ${what.padEnd(40)} → ${error.code}`);
    }
  }
  console.log(`records waiting to be pushed: ${await phoneReplica.pending()}; calls on the phone: ${await phoneCalls.count()}`);

  await phoneReplica.close();
  await laptopReplica.close();
} finally {
  await server.close();
}
