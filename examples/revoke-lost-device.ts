/**
 * The tablet is lost: the phone removes it from the device chain. The laptop is told
 * (`device-removed`), the server refuses the tablet from then on (`DEVICE_REVOKED`), and every
 * record written afterwards is sealed for the remaining devices only, which the example checks
 * in the envelope's public header (its recipient ids) and with `open` on the tablet, which finds
 * no stanza for it. What the tablet already held stays on the tablet: removal erases nothing.
 * Run: npx tsx examples/revoke-lost-device.ts
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  Account,
  Device,
  HttpClient,
  Replica,
  STANZA_BYTES,
  callLogOptions,
  createPairingOffer,
  encodePairingOffer,
  equalBytes,
  isCheckpoint,
  isMultikeySyncError,
  open,
  parseEnvelope,
  toHex,
  type CallRecord,
} from 'multikey-sync';
import { SqliteLocalStore } from 'multikey-sync/node';
import { createServer, SqliteStore } from 'multikey-sync/server';

const dir = mkdtempSync(join(tmpdir(), 'mks-example-revoke-'));
const server = createServer({ store: await SqliteStore.open(join(dir, 'server.sqlite')) });
const { url } = await server.listen(0, '127.0.0.1');
console.log(`server on ${url}`);
const connect = (device: Device, accountId?: Uint8Array) =>
  new HttpClient({ baseUrl: url, device, ...(accountId === undefined ? {} : { accountId }) });

const replicas: Replica[] = [];
try {
  const phoneDevice = await Device.generate();
  const { account: phone } = await Account.create({ device: phoneDevice, transport: connect(phoneDevice) });
  const laptop = await pairByQr(phone);
  const tablet = await pairByQr(phone);
  await laptop.refresh();
  const names = new Map<string, string>([
    [toHex(phone.device.id), 'phone'],
    [toHex(laptop.device.id), 'laptop'],
    [toHex(tablet.device.id), 'tablet'],
  ]);
  const nameOf = (id: Uint8Array) => names.get(toHex(id)) ?? 'recovery key';

  const openReplica = async (name: string, account: Account<HttpClient>) => {
    const replica = await Replica.open({ account, store: await SqliteLocalStore.open(join(dir, `${name}.sqlite`)) });
    replicas.push(replica);
    return { replica, calls: replica.collection('calls', callLogOptions()) };
  };
  const [onPhone, onLaptop, onTablet] = [await openReplica('phone', phone), await openReplica('laptop', laptop), await openReplica('tablet', tablet)];

  const call = (peer: string, minutesAgo: number): CallRecord => ({
    service: 'phone', direction: 'incoming', answered: true, peer, startedAt: Date.now() - minutesAgo * 60_000, durationSec: 120,
  });
  const before = await onPhone.calls.put(call('+14155550123', 30));
  await onPhone.replica.sync();
  await onLaptop.replica.sync();
  await onTablet.replica.sync();
  console.log(`before: phone, laptop and tablet each hold ${await onTablet.calls.count()} call`);

  // The laptop listens to its chain, as an app would to tell the person what changed.
  laptop.chain.subscribe((e) => {
    if (e.type === 'device-removed') console.log(`  laptop is told: ${e.type}: the ${nameOf(e.device.id)}, by the ${nameOf(e.by)}`);
  });

  console.log('\nthe phone removes the lost tablet');
  const events = await phone.remove(tablet.device.id);
  console.log(`  phone appended: ${events.map((e) => e.type).join(', ')}; ${phone.chain.activeDevices().length} keys remain active`);
  const after = await onPhone.calls.put(call('+12125550187', 1));
  await onPhone.replica.sync();
  await onLaptop.replica.sync(); // refreshes the chain first, so the event prints here
  console.log(`  laptop sees the new call: ${(await onLaptop.calls.get(after)) !== undefined}`);

  console.log('\nthe tablet tries to sync');
  try {
    await onTablet.replica.sync();
    throw new Error('the server let a removed device sync');
  } catch (error) {
    if (!isMultikeySyncError(error, 'DEVICE_REVOKED')) throw error;
    // The server's word: the tablet cannot check it, but the server holds nothing it could read.
    console.log(`  refused: ${error.code}`);
  }
  console.log(`  it keeps what it had (${await onTablet.calls.count()} call, the one from before) and nothing new`);

  // The envelopes the server stores, as a copy of its database would show them (a pull returns
  // the devices' log checkpoints in the same stream).
  console.log('\nwho each stored envelope is sealed for (read from its public header, no key needed)');
  const { items } = await phone.transport.pull(0);
  const envelopes = items.filter((bytes) => !isCheckpoint(bytes));
  for (const bytes of envelopes) {
    const header = parseEnvelope(bytes);
    const recipients: string[] = [];
    for (let i = 0; i < header.recipientCount; i++) recipients.push(nameOf(header.stanzas.subarray(i * STANZA_BYTES, i * STANZA_BYTES + 16)));
    const which = equalBytes(header.recordId, before) ? 'the call from before' : equalBytes(header.recordId, after) ? 'the call from after' : 'a history grant bundle';
    console.log(`  ${which}: ${recipients.join(', ')}`);
  }
  const newest = envelopes.find((bytes) => equalBytes(parseEnvelope(bytes).recordId, after))!;
  // No stanza names the tablet, so no key it holds is even looked up: `open` says "not for me".
  const tabletKeys = { get: () => undefined };
  console.log(`the tablet opening the new envelope gets: ${open(tablet.device, phone.accountId, tabletKeys, newest)}`);
} finally {
  for (const r of replicas) await r.close();
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
