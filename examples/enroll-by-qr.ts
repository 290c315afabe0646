/**
 * Adding a laptop to an account by QR code. The laptop makes a pairing offer and shows it; the
 * phone scans it, asks its user, and appends the laptop to the signed device chain; the laptop
 * verifies that chain from genesis and finds itself on it. Calls logged before the laptop
 * existed were not sealed for it: its first sync keeps them unopened and asks the phone, which
 * added it, for the history; the phone's next sync answers with a key grant per call, taken from
 * its own copies, and the laptop's next sync shows them. Run: npx tsx examples/enroll-by-qr.ts
 */
import QRCode from 'qrcode';
import {
  Account,
  Device,
  HttpClient,
  MemoryLocalStore,
  Replica,
  callLogOptions,
  createPairingOffer,
  encodePairingOffer,
  equalBytes,
  isMultikeySyncError,
  toHex,
  type CallRecord,
} from 'multikey-sync';
import { createServer, MemoryStore } from 'multikey-sync/server';

const server = createServer({ store: new MemoryStore() });
const { url } = await server.listen(0, '127.0.0.1');
console.log(`server on ${url} (in memory)`);
const connect = (device: Device, accountId?: Uint8Array) =>
  new HttpClient({ baseUrl: url, device, ...(accountId === undefined ? {} : { accountId }) });
const short = (id: Uint8Array) => toHex(id).slice(0, 8);
// Both devices look at the mailbox every 100 ms (an app would use the default, 1 s).
const fast = { pollMs: 100, timeoutMs: 10_000 };

try {
  const phoneDevice = await Device.generate();
  const { account: phone } = await Account.create({ device: phoneDevice, transport: connect(phoneDevice) });
  const phoneReplica = await Replica.open({ account: phone, store: new MemoryLocalStore() });
  const phoneCalls = phoneReplica.collection('calls', callLogOptions());
  const now = Date.now();
  const history: CallRecord[] = [
    { service: 'phone', direction: 'incoming', answered: true, peer: '+14155550123', startedAt: now - 86_400_000, durationSec: 421 },
    { service: 'facetime-video', direction: 'outgoing', answered: true, peer: '+12125550187', startedAt: now - 7_200_000, durationSec: 95 },
    { service: 'voip', app: 'org.whispersystems.signal', direction: 'incoming', answered: false, peer: '+16175550110', startedAt: now - 600_000, durationSec: 0 },
  ];
  for (const call of history) await phoneCalls.put(call);
  await phoneReplica.sync();
  console.log(`phone ${short(phone.device.id)} created the account and synced ${history.length} calls`);
  phone.chain.subscribe((e) => console.log(`  phone's chain: ${e.type} ${'device' in e ? short(e.device.id) : ''} (entry ${e.index})`));

  // 1. The laptop makes an offer: its device card, a one-time secret, the server URL, an expiry.
  const laptopDevice = await Device.generate();
  const offer = createPairingOffer(laptopDevice, url);
  const uri = encodePairingOffer(offer);
  console.log(`\nlaptop ${short(laptopDevice.id)} shows its pairing offer, valid until ${new Date(offer.expiresAt).toISOString()}:`);
  // The URI is exactly what the QR code shows; its secret works once and for 10 minutes.
  console.log(`  ${uri}`);
  const art = await QRCode.toString(uri, { type: 'utf8', errorCorrectionLevel: 'L', margin: 2 });
  for (const line of art.trimEnd().split('\n')) console.log(`    ${line}`);

  // 2. Both sides at once: the phone approves what it scanned and shows a 6-digit code; the laptop
  // shows its own and joins only if the person says both match (whoever photographed the QR code
  // could answer it too, but could not make the phone show the laptop's code); then it verifies.
  let showCode!: (code: string) => void;
  const phoneShows = new Promise<string>((resolve) => (showCode = resolve));
  const [laptop, added] = await Promise.all([
    Account.joinWithOffer({
      device: laptopDevice,
      offer,
      transport: connect(laptopDevice),
      connect,
      confirmSas: async (code) => {
        const onPhone = await phoneShows;
        console.log(`laptop shows ${code} and asks "Does your phone show the same code?" → ${code === onPhone ? 'Yes' : 'No'}`);
        return code === onPhone;
      },
      ...fast,
    }),
    phone.approveOffer(uri, {
      confirm: async (scanned) => {
        console.log(`phone scanned it and asks "Add device ${short(scanned.device.id)} to your account?" → Approve`);
        return true;
      },
      showSas: (code) => {
        console.log(`phone shows the code ${code}`);
        showCode(code);
      },
      ...fast,
    }),
  ]);
  console.log(`phone appended device ${short(added.id)} to the chain`);

  // 3. What the laptop verified: every entry from genesis, signatures and rules, itself included.
  console.log(`laptop verified ${laptop.chain.length} chain entries (head ${short(laptop.chain.head)}), same account: ${equalBytes(laptop.accountId, phone.accountId)}`);
  for (const d of laptop.chain.state.devices.values()) {
    const who = equalBytes(d.card.id, laptop.device.id) ? 'this laptop' : equalBytes(d.card.id, phone.device.id) ? 'the phone' : 'the recovery key';
    console.log(`  entry ${d.addedAt}: ${d.role.padEnd(8)} ${short(d.card.id)} — ${who}`);
  }

  // 4. The laptop's first sync finds the phone's calls, but none was sealed for it: it keeps
  // them unopened ("held") and its first push asks the phone for the history.
  const laptopReplica = await Replica.open({ account: laptop, store: new MemoryLocalStore() });
  const laptopCalls = laptopReplica.collection('calls', callLogOptions());
  const first = await laptopReplica.sync();
  console.log(`\nlaptop's first sync: holds ${first.held} envelopes it cannot open yet (they predate it), shows ${await laptopCalls.count()} calls; it asks the phone for the history`);

  // 5. History handoff: at its next sync the phone grants the laptop each record's content key,
  // sealed to the laptop alone (no envelope is fetched again). Call `handoffTo` to do it at once.
  await phoneReplica.sync();
  const second = await laptopReplica.sync();
  console.log(`the phone's next sync answered; the laptop's next sync applied ${second.applied}, holds ${second.held}; it now shows:`);
  for (const e of await laptopCalls.list()) {
    const c = e.value;
    console.log(`  ${new Date(c.startedAt).toISOString().slice(0, 16)} ${c.peer} ${c.service}${c.app ? ` ${c.app}` : ''} ${c.answered ? `${c.durationSec}s` : 'missed'}`);
  }

  // 6. From now on the laptop is a recipient like any other: no handoff needed.
  await phoneCalls.put({ service: 'phone', direction: 'outgoing', answered: true, peer: '+13035550142', startedAt: Date.now(), durationSec: 33 });
  await phoneReplica.sync();
  await laptopReplica.sync();
  console.log(`a call logged after the pairing reaches the laptop directly: ${await laptopCalls.count()} calls`);

  // 7. The offer on screen is spent: scanning it again is refused.
  try {
    await phone.approveOffer(uri, { confirm: async () => true, showSas: () => undefined, ...fast });
    throw new Error('a used pairing offer was accepted twice');
  } catch (error) {
    if (!isMultikeySyncError(error)) throw error;
    console.log(`scanning the same QR code again: ${error.code}`);
  }

  await phoneReplica.close();
  await laptopReplica.close();
} finally {
  await server.close();
}
