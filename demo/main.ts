/**
 * `npm start`: the article's question answered on screen. A phone, a laptop and a tablet sync
 * call history through a server that holds only ciphertext: keys live on the devices, one set
 * per device, the way iMessage keys each device; the server cannot read a call or add a device,
 * and when its operator hides a call from one device, that device notices.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import {
  Account,
  Device,
  HttpClient,
  Replica,
  callLogOptions,
  createPairingOffer,
  encodePairingOffer,
  equalBytes,
  isMultikeySyncError,
  listCalls,
  type CallRecord,
  type Collection,
  type ReplicaEvents,
} from 'multikey-sync';
import { SqliteLocalStore } from 'multikey-sync/node';
import { createServer, SqliteStore, type Store } from 'multikey-sync/server';
import { HELP, parseDemoArgs } from './args.js';
import { callHistory } from './callHistory.js';
import { formatCall, heading, note, progress, qr, say, sideBySide } from './terminal.js';

const options = (() => {
  try {
    return parseDemoArgs(process.argv.slice(2));
  } catch (error) {
    console.error(`${(error as Error).message}\n\n${HELP}`);
    process.exit(2);
  }
})();
if (options === null) {
  console.log(HELP);
  process.exit(0);
}

const started = Date.now();
const dir = options.data ?? mkdtempSync(join(tmpdir(), 'multikey-sync-demo-'));
mkdirSync(dir, { recursive: true });
console.log(`multikey-sync demo — data in ${dir}`);

// The server: one SQLite file, ciphertext only, run by an operator who can change what it serves.
const serverDb = join(dir, 'server.sqlite');
const operator = withholding(await SqliteStore.open(serverDb));
const server = createServer({ store: operator.store });
const { url } = await server.listen(options.port, '127.0.0.1');
const connect = (device: Device, accountId?: Uint8Array) =>
  new HttpClient({ baseUrl: url, device, ...(accountId === undefined ? {} : { accountId }) });
// Pairing devices look at the mailbox every 100 ms (an app would use the default, 1 s).
const MAILBOX = { pollMs: 100 };

interface DemoDevice {
  name: string;
  account: Account<HttpClient>;
  replica: Replica;
  calls: Collection<CallRecord>;
}

/**
 * The operator's hand on the server: while `hide` names a record, the store leaves its envelopes
 * out of every pull. It cannot forge or drop a device's signed log, and that is what gives it away.
 */
function withholding(store: Store): { store: Store; hide(recordId: Uint8Array | undefined): void } {
  let hidden: string | undefined;
  const pullEnvelopes: Store['pullEnvelopes'] = async (account, after, limit) => {
    const page = await store.pullEnvelopes(account, after, limit);
    return hidden === undefined ? page : { ...page, items: page.items.filter((i) => i.kind === 'log' || hex(i.recordId) !== hidden) };
  };
  const wrapped = new Proxy(store, {
    get(target, prop) {
      if (prop === 'pullEnvelopes') return pullEnvelopes;
      const value = Reflect.get(target, prop, target) as unknown;
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
  return { store: wrapped, hide: (recordId) => (hidden = recordId === undefined ? undefined : hex(recordId)) };
}

/** Opens a device's replica in its own SQLite file, with its secrets sealed under a passphrase. */
async function openDevice(name: string, account: Account<HttpClient>): Promise<DemoDevice> {
  const store = await SqliteLocalStore.open(join(dir, `${name}.sqlite`), { synchronous: 'NORMAL' });
  await store.setMeta('device', await account.device.exportWithPassphrase(`demo passphrase for the ${name}`));
  const replica = await Replica.open({ account, store });
  return { name, account, replica, calls: replica.collection('calls', callLogOptions()) };
}

try {
  heading(1, `Sync server on ${url} (SQLite: ${serverDb})`);
  note('It stores envelopes and the signed device list. It never sees a key.');

  heading(2, 'The phone creates the account');
  const phoneDevice = await Device.generate();
  const created = await Account.create({ device: phoneDevice, transport: connect(phoneDevice) });
  const phone = await openDevice('phone', created.account);
  say(`account ${hex(created.account.accountId).slice(0, 16)}…, device list: 1 phone + 1 recovery key`);
  note(`24 recovery words were made (${created.recoveryWords?.split(' ').length} words); an app shows them once. The demo does not print secrets.`);

  heading(3, 'The laptop joins by QR code');
  const laptopDevice = await Device.generate();
  const offer = createPairingOffer(laptopDevice, url);
  const uri = encodePairingOffer(offer);
  say('The laptop shows:');
  await qr(uri);
  let showCode: (code: string) => void = () => undefined;
  const phoneShows = new Promise<string>((resolve) => (showCode = resolve));
  const [laptopAccount] = await Promise.all([
    Account.joinWithOffer({
      device: laptopDevice,
      offer,
      transport: connect(laptopDevice),
      connect,
      ...MAILBOX,
      confirmSas: async (code) => {
        const same = code === (await phoneShows);
        say(`The laptop shows ${code} and asks: "Does your phone show this code?"  → ${same ? 'Yes' : 'No'}`);
        return same;
      },
    }),
    phone.account.approveOffer(uri, {
      ...MAILBOX,
      confirm: async () => {
        say('The phone scans it and asks: "Add this laptop to your account?"  → Approve');
        return true;
      },
      showSas: (code) => {
        say(`The phone shows the code ${code}`);
        showCode(code);
      },
    }),
  ]);
  const laptop = await openDevice('laptop', laptopAccount);
  note('Someone who photographed the QR code could answer it too, but could not make the phone show the laptop\'s code.');
  say('The laptop verified the whole device chain and found itself on it.');

  heading(4, 'The tablet (no camera) joins by comparing a 6-digit code');
  const tabletDevice = await Device.generate();
  const pairing = await Account.startCodePairing({ device: tabletDevice, transport: connect(tabletDevice) });
  say(`The tablet shows the pairing code ${pairing.code}; the user types it on the phone.`);
  const codes: string[] = [];
  const confirmSas = (who: string) => async (sas: string) => {
    codes.push(sas);
    say(`${who} shows ${sas}`);
    return true;
  };
  const [tabletAccount] = await Promise.all([
    pairing.complete(connect, { ...MAILBOX, confirmSas: confirmSas('Tablet') }),
    phone.account.approveCode(pairing.code, { ...MAILBOX, confirmSas: confirmSas('Phone ') }),
  ]);
  say(codes[0] === codes[1] ? 'The codes match, so no one in the middle swapped keys. Approved.' : 'CODES DIFFER');
  const tablet = await openDevice('tablet', tabletAccount);
  for (const d of [laptop, tablet, phone]) await d.replica.sync();
  note('Each device synced once it joined: a new one asks the phone for older history (there is none yet).');

  heading(5, `The phone imports its call history (${options.calls} calls)`);
  const history = callHistory(options.calls, Date.now());
  const tick = progress('importing', history.length);
  for (const [i, c] of history.entries()) {
    await phone.calls.put(c);
    if ((i + 1) % 100 === 0 || i + 1 === history.length) tick(i + 1);
  }
  const missedVoip = history.filter((c) => c.service === 'voip').length;
  note(`${missedVoip} of them are missed calls from VoIP apps that report through CallKit.`);

  heading(6, 'Sync');
  const pushed = await phone.replica.sync();
  say(`phone pushed ${pushed.pushed} envelopes, each sealed once and its key wrapped for 4 keys (3 devices + recovery)`);
  note('It signs a log of what it pushed (one checkpoint per push); every reader checks each envelope against it.');
  for (const d of [laptop, tablet]) {
    const r = await d.replica.sync();
    say(`${d.name} pulled ${r.pulled} items (envelopes and signed log checkpoints), now holds ${await d.calls.count()} calls`);
  }

  heading(7, 'Deleting a call on the laptop deletes it everywhere');
  const [latestMissed] = await listCalls(laptop.calls, { missed: true, limit: 1 });
  say(`laptop deletes: ${formatCall(latestMissed!.value)}`);
  await laptop.calls.delete(latestMissed!.id);
  await laptop.replica.sync();
  for (const d of [phone, tablet]) {
    await d.replica.sync();
    say(`${d.name}: ${(await d.calls.get(latestMissed!.id)) === undefined ? 'gone' : 'STILL THERE'}  (${await d.calls.count()} calls)`);
  }

  heading(8, 'The server\'s operator hides a call from the tablet, and the tablet notices');
  const hiddenCall: CallRecord = { service: 'voip', app: 'org.whispersystems.signal', direction: 'incoming', answered: false, peer: '+12125550177', startedAt: Date.now(), durationSec: 0 };
  const hiddenId = await phone.calls.put(hiddenCall);
  await phone.replica.sync();
  say(`phone logs: ${formatCall(hiddenCall)}`);
  const alarms: ReplicaEvents['withheld'][] = [];
  tablet.replica.on('withheld', (alarm) => alarms.push(alarm));
  operator.hide(hiddenId); // the operator serves the tablet everything but this call
  const hiddenReport = await tablet.replica.sync();
  operator.hide(undefined);
  const alarm = alarms.at(-1);
  const owed = alarm?.records ?? [];
  const writers = owed.map((r) => `${equalBytes(r.sender, phone.account.device.id) ? 'the phone' : 'another device'} at revision ${r.revision}`);
  say(`tablet's sync: ${hiddenReport.withheld} call withheld (${alarm?.code ?? 'no alarm'}), logged by ${writers.join(', ') || 'nobody'}; the app can warn its user`);
  const honest = await laptop.replica.sync();
  say(`laptop, served honestly: ${(await laptop.calls.get(hiddenId)) === undefined ? 'MISSING' : 'has it'}, ${honest.withheld} withheld`);
  note('A server can always refuse to serve. It cannot leave a call out unnoticed: the phone\'s signed log claims it.');

  heading(9, 'The tablet is lost: the phone revokes it');
  const laptopEvents: string[] = [];
  laptop.account.chain.subscribe((e) => laptopEvents.push(e.type));
  await phone.account.remove(tablet.account.device.id);
  const fresh: CallRecord = { service: 'phone', direction: 'incoming', answered: true, peer: '+14155550142', startedAt: Date.now(), durationSec: 95 };
  const freshId = await phone.calls.put(fresh);
  await phone.replica.sync();
  await laptop.replica.sync();
  say(`laptop was told: ${laptopEvents.join(', ')}; it sees the new call: ${(await laptop.calls.get(freshId)) !== undefined}`);
  try {
    await tablet.replica.sync();
    say('tablet synced (unexpected)');
  } catch (error) {
    if (!isMultikeySyncError(error)) throw error;
    say(`tablet's sync is refused: ${error.code}; it keeps what it had (${await tablet.calls.count()} calls) and has no key for anything new`);
  }

  heading(10, 'What a device sees, and what the server holds');
  const seen = (await listCalls(laptop.calls, { limit: 6 })).map((e) => formatCall(e.value));
  const db = new Database(serverDb, { readonly: true, fileMustExist: true });
  // Envelope rows of the server's cursor stream (`items`, which also holds log checkpoints).
  const rows = db
    .prepare(
      `SELECT cursor, hex(record_id) AS id, revision, kind, length(bytes) AS size FROM items
        WHERE record_id IS NOT NULL ORDER BY cursor DESC LIMIT 6`,
    )
    .all() as { cursor: number; id: string; revision: number; kind: string; size: number }[];
  const total = db
    .prepare('SELECT count(*) AS n, sum(length(bytes)) AS bytes FROM items WHERE record_id IS NOT NULL')
    .get() as { n: number; bytes: number };
  const checkpoints = db.prepare('SELECT count(*) AS n FROM items WHERE record_id IS NULL').get() as { n: number };
  db.close();
  sideBySide(
    'the laptop (last 6 calls)',
    seen,
    'the server (last 6 rows)',
    rows.map((r) => `#${r.cursor} ${r.id.slice(0, 12).toLowerCase()}… rev ${r.revision} ${r.kind} ${r.size} B`),
  );
  const raw = Buffer.concat([serverDb, `${serverDb}-wal`].filter((f) => existsSync(f)).map((f) => readFileSync(f)));
  const peers = new Set([...history, hiddenCall, fresh].map((c) => c.peer));
  const found = [...peers].filter((p) => raw.includes(p) || raw.includes(p.slice(1))).length;
  say(`server: ${total.n} envelopes and ${checkpoints.n} log checkpoints, ${(total.bytes / 1024).toFixed(0)} KiB of envelopes; of ${peers.size} phone numbers, ${found} appear in its database files`);

  heading(11, 'Done');
  say(`in ${((Date.now() - started) / 1000).toFixed(1)} s; devices' replicas and the server database are in ${dir}`);
  for (const d of [phone, laptop, tablet]) await d.replica.close();
} finally {
  if (!options.keepServing) await server.close();
}

if (options.keepServing) {
  console.log(`\nServer still running on ${url} — Ctrl-C to stop.`);
  const stop = () => void server.close().then(() => process.exit(0));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('hex');
}
