/**
 * Every device is lost; the person still has the 24 recovery words and the account id written
 * down the day the account was made. A new phone joins with `Account.recover`, removes the lost
 * devices, and reads the call history with the words: every record was sealed to the words'
 * recovery key too, so the recovery pseudo-device reads alongside the phone during its first sync
 * (`ReplicaOptions.readers`). It writes nothing, and the phone wipes it afterwards.
 *
 * The account here is made with the shortest recovery delay allowed, 24 hours
 * (MIN_RECOVERY_DELAY_MS; the default, DEFAULT_RECOVERY_DELAY_MS, is 72). The new device stays
 * inactive that long, and any device of the account that syncs meanwhile sees `recovery-started`
 * and can veto it (`account.vetoRecovery`), which is what protects the person when someone else
 * finds the words. So that the example runs in seconds, the server and every device share a
 * clock the example moves forward a day. The words are never printed.
 * Run: npx tsx examples/recover-with-words.ts
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  Account,
  DEFAULT_RECOVERY_DELAY_MS,
  Device,
  MIN_RECOVERY_DELAY_MS,
  HttpClient,
  MemoryLocalStore,
  Replica,
  callLogOptions,
  createPairingOffer,
  encodePairingOffer,
  equalBytes,
  fromHex,
  toHex,
  type CallRecord,
} from 'multikey-sync';
import { SqliteLocalStore } from 'multikey-sync/node';
import { createServer, SqliteStore } from 'multikey-sync/server';

// One clock for the server and every device, which the example can move forward (as time passes).
let daysPassed = 0;
const clock = () => Date.now() + daysPassed * 86_400_000;
const dir = mkdtempSync(join(tmpdir(), 'mks-example-recover-'));
const server = createServer({ store: await SqliteStore.open(join(dir, 'server.sqlite')), clock });
const { url } = await server.listen(0, '127.0.0.1');
console.log(`server on ${url}`);
const connect = (device: Device, accountId?: Uint8Array) =>
  new HttpClient({ baseUrl: url, device, clock, ...(accountId === undefined ? {} : { accountId }) });
const short = (id: Uint8Array) => toHex(id).slice(0, 8);

try {
  // What survives the loss: two strings on paper. Everything else below is thrown away.
  const { words, accountIdHex } = await lifeBeforeTheLoss();
  console.log(`\nall devices are lost; the person has ${words.split(' ').length} words and account ${accountIdHex.slice(0, 16)}… on paper`);
  const accountId = fromHex(accountIdHex);

  // 1. The new phone is added by the words' recovery key (with the phone's own consent).
  const newPhone = await Device.generate();
  const recovered = await Account.recover({ words, newDevice: newPhone, accountId, connect, clock });
  const waitMs = Math.max(0, recovered.effectiveAt - clock());
  console.log(`new phone ${short(newPhone.id)} added by the recovery key; active in ${Math.round(waitMs / 3_600_000)} h`);
  console.log(`  (with the default delay it would wait ${DEFAULT_RECOVERY_DELAY_MS / 3_600_000} h; any device of the account could veto it meanwhile)`);
  // The server refuses a pending device until its effective time: a day passes.
  daysPassed += 1;
  await new Promise((resolve) => setTimeout(resolve, 5));

  // 2. The new phone removes the devices that were lost.
  const phone = recovered.account;
  const lost = [...phone.chain.state.devices.values()]
    .filter((d) => d.role === 'device' && !equalBytes(d.card.id, newPhone.id))
    .map((d) => d.card);
  for (const d of lost) {
    const events = await phone.remove(d.id);
    console.log(`new phone removed lost device ${short(d.id)}: ${events.map((e) => e.type).join(', ')}`);
  }

  // 3. Its first sync reads the history with the words: the recovery pseudo-device reads
  // alongside it (it can open what was sealed to the words; it signs and writes nothing).
  const replica = await Replica.open({
    account: phone,
    store: await SqliteLocalStore.open(join(dir, 'new-phone.sqlite')),
    clock,
    readers: [recovered.recoveryDevice],
  });
  const calls = replica.collection('calls', callLogOptions());
  const report = await replica.sync();
  recovered.recoveryDevice.wipe(); // best effort: JavaScript guarantees nothing about copies
  console.log(`new phone's first sync: pulled ${report.pulled} items, applied ${report.applied}, withheld ${report.withheld}; it shows:`);
  for (const { value: c } of await calls.list()) {
    console.log(`  ${new Date(c.startedAt).toISOString().slice(0, 16)} ${c.peer} ${c.service} ${c.direction} ${c.answered ? `${c.durationSec}s` : 'not answered'}`);
  }
  await replica.close();
} finally {
  await server.close();
  rmSync(dir, { recursive: true, force: true });
}

/**
 * The account's life until the loss: a phone creates it (the app shows the words once, and
 * the person writes them down with the account id), a laptop joins, both log calls.
 */
async function lifeBeforeTheLoss(): Promise<{ words: string; accountIdHex: string }> {
  const phoneDevice = await Device.generate();
  const created = await Account.create({ device: phoneDevice, transport: connect(phoneDevice), recoveryDelayMs: MIN_RECOVERY_DELAY_MS, clock });
  const phone = created.account;
  const laptopDevice = await Device.generate();
  const offer = createPairingOffer(laptopDevice, url);
  const fast = { pollMs: 100, timeoutMs: 10_000 };
  // The person compares the two screens: the approving device shows a code, the new device asks if it matches.
  let showCode!: (code: string) => void;
  const shownCode = new Promise<string>((resolve) => (showCode = resolve));
  const [laptop] = await Promise.all([
    Account.joinWithOffer({ device: laptopDevice, offer, transport: connect(laptopDevice), connect, clock, confirmSas: async (code) => code === (await shownCode), ...fast }),
    phone.approveOffer(encodePairingOffer(offer), { confirm: async () => true, showSas: showCode, ...fast }),
  ]);
  const now = clock();
  const log: [Account<HttpClient>, CallRecord][] = [
    [phone, { service: 'phone', direction: 'incoming', answered: true, peer: '+14155550123', startedAt: now - 5 * 86_400_000, durationSec: 602 }],
    [phone, { service: 'phone', direction: 'outgoing', answered: false, peer: '+12125550187', startedAt: now - 3 * 86_400_000, durationSec: 0 }],
    [laptop, { service: 'facetime-audio', direction: 'outgoing', answered: true, peer: '+16175550110', startedAt: now - 86_400_000, durationSec: 48 }],
  ];
  for (const [account, call] of log) {
    const replica = await Replica.open({ account, store: new MemoryLocalStore(), clock });
    await replica.collection('calls', callLogOptions()).put(call);
    await replica.sync();
    await replica.close();
  }
  console.log(`account created by phone ${short(phone.device.id)}, laptop ${short(laptop.device.id)} joined; ${log.length} calls synced`);
  return { words: created.recoveryWords!, accountIdHex: toHex(phone.accountId) };
}
