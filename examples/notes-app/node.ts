/**
 * A small notes app on three devices, as an app developer would write it from README.md and
 * docs/api.md. The phone creates the account; a laptop joins by QR code and a tablet by typing
 * a code; each new device's first sync shows the notes written before it existed. The phone and
 * the laptop edit one note while offline and the story prints which edit every device kept; a
 * note deleted on one device is gone everywhere; the tablet is revoked and sees nothing written
 * after, and its writes are refused; the laptop restarts from its SQLite file and syncs on.
 * The browser side of the same app is browser.ts. Run: npx tsx examples/notes-app/node.ts
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  Account,
  Device,
  HttpClient,
  MemoryLocalStore,
  Replica,
  createPairingOffer,
  encodePairingOffer,
  equalBytes,
  isMultikeySyncError,
  loadDevice,
  saveDevice,
  type Collection,
} from 'multikey-sync';
import { SqliteLocalStore } from 'multikey-sync/node';
import { createServer, SqliteStore } from 'multikey-sync/server';
import { addNote, notesOf, saveNote, type Note } from './notes.js';

const dir = mkdtempSync(join(tmpdir(), 'mks-example-notes-'));
const server = createServer({ store: await SqliteStore.open(join(dir, 'server.sqlite')) });
const { url } = await server.listen(0, '127.0.0.1');
console.log(`server on ${url}`);
const connect = (device: Device, accountId?: Uint8Array) =>
  new HttpClient({ baseUrl: url, device, ...(accountId === undefined ? {} : { accountId }) });
// Pairing looks at the mailbox every 100 ms here (an app would use the default, 1 s).
const fast = { pollMs: 100, timeoutMs: 10_000 };
// What the laptop's user types to unlock the app after a restart.
const LAPTOP_PASSPHRASE = 'laptop unlock phrase';

/** One device of the story: its name, its replica and its notes. */
interface Screen {
  name: string;
  replica: Replica;
  notes: Collection<Note>;
}
const screens: Screen[] = [];
const screen = (name: string, replica: Replica): Screen => {
  const s = { name, replica, notes: notesOf(replica) };
  screens.push(s);
  return s;
};
// Most recently edited first, as a notes app lists them.
const titles = async (s: Screen) => (await s.notes.list({ order: 'desc' })).map((e) => e.value.title).join(', ');
const clock = (ms: number) => new Date(ms).toISOString().slice(11, 23);
const sleep = (ms: number) => new Promise((done) => setTimeout(done, ms));

try {
  // 1. The phone creates the account and writes two notes.
  const phoneDevice = await Device.generate();
  const { account: phoneAccount } = await Account.create({ device: phoneDevice, transport: connect(phoneDevice) });
  const phone = screen('phone', await Replica.open({ account: phoneAccount, store: new MemoryLocalStore() }));
  const groceries = await addNote(phone.notes, 'groceries', { title: 'Groceries', body: 'milk, eggs', updatedAt: Date.now() });
  const trip = await addNote(phone.notes, 'trip', { title: 'Trip', body: 'book the train', updatedAt: Date.now() + 1 });
  await phone.replica.sync();
  console.log(`phone created the account and wrote 2 notes: ${await titles(phone)}`);

  // 2. The laptop joins by QR code; its device and notes live in one SQLite file.
  const laptopAccount = await joinByQr(phone.replica);
  const laptopFile = join(dir, 'laptop.sqlite');
  const laptopStore = await SqliteLocalStore.open(laptopFile);
  await saveDevice(laptopStore, laptopAccount, LAPTOP_PASSPHRASE);
  let laptop = screen('laptop', await Replica.open({ account: laptopAccount, store: laptopStore }));
  await laptop.replica.sync();
  console.log(`laptop's first sync shows ${await laptop.notes.count()} notes: ${await titles(laptop)}`);

  // 3. The tablet has no camera: it shows a code, which the person types on the phone.
  const tabletAccount = await joinByCode(phone.replica);
  const tablet = screen('tablet', await Replica.open({ account: tabletAccount, store: new MemoryLocalStore() }));
  await tablet.replica.sync();
  console.log(`tablet's first sync shows ${await tablet.notes.count()} notes: ${await titles(tablet)}`);

  // 4. Phone and laptop are offline and both edit "Groceries", the laptop a little later; then
  // both come back online and sync.
  // Neither device had seen the other's edit: the replica that receives both raises `conflict`.
  phone.replica.on('conflict', (event) => {
    console.log(`  phone: "Groceries" was edited on two devices at once; the ${event.winner} edit (the later clock) wins`);
  });
  const phoneEdit: Note = { title: 'Groceries', body: 'milk, eggs, bread', updatedAt: Date.now() };
  await phone.notes.put(phoneEdit, groceries);
  await sleep(20);
  const laptopEdit: Note = { title: 'Groceries', body: 'milk, eggs, coffee', updatedAt: Date.now() };
  await laptop.notes.put(laptopEdit, groceries);
  console.log(`\noffline, phone edited "Groceries" at ${clock(phoneEdit.updatedAt)}: ${phoneEdit.body}`);
  console.log(`offline, laptop edited "Groceries" at ${clock(laptopEdit.updatedAt)}: ${laptopEdit.body}`);
  await syncAll(phone, laptop, phone, tablet);
  const whose = (note: Note | undefined) => (note?.body === phoneEdit.body ? 'phone' : note?.body === laptopEdit.body ? 'laptop' : 'neither');
  const kept = new Set<string>();
  for (const s of [phone, laptop, tablet]) {
    const note = await s.notes.get(groceries);
    kept.add(whose(note));
    console.log(`  ${s.name} shows the ${whose(note)}'s edit (${note === undefined ? 'none' : clock(note.updatedAt)}): ${note?.body}`);
  }
  if (kept.size === 1) {
    const [winner] = kept;
    const later = laptopEdit.updatedAt > phoneEdit.updatedAt ? 'laptop' : 'phone';
    console.log(`every device shows the same edit: the ${winner}'s, the ${winner === later ? 'later' : 'earlier'} one`);
  } else {
    console.log(`the devices disagree: ${[...kept].join(' / ')}`);
  }

  // 5. The tablet deletes "Trip"; after a sync it is gone everywhere.
  await tablet.notes.delete(trip);
  await syncAll(tablet, phone, laptop);
  const tripLeft = await Promise.all([phone, laptop, tablet].map(async (s) => `${s.name}: ${(await s.notes.get(trip)) === undefined ? 'gone' : 'still there'}`));
  console.log(`\ntablet deleted "Trip"; ${tripLeft.join(', ')}`);

  // 6. The tablet is lost: the phone revokes it. A note written afterwards is sealed for the
  // phone and laptop only (examples/revoke-lost-device.ts reads it in the envelope's header),
  // and the server refuses the tablet from now on.
  await phoneAccount.remove(tabletAccount.device.id);
  await addNote(phone.notes, 'book-club', { title: 'Book club', body: 'chapter 4 by Thursday', updatedAt: Date.now() });
  await syncAll(phone, laptop);
  console.log(`\nphone revoked the tablet and wrote "Book club"; laptop shows: ${await titles(laptop)}`);
  await addNote(tablet.notes, 'from-tablet', { title: 'Written on the lost tablet', body: 'hello', updatedAt: Date.now() });
  try {
    await tablet.replica.sync();
    throw new Error('the server let a revoked device sync');
  } catch (error) {
    if (!isMultikeySyncError(error, 'DEVICE_REVOKED')) throw error;
    console.log(`the tablet's sync, and the note it wrote, refused: ${error.code}`);
  }
  const tabletSeesBookClub = (await tablet.notes.list()).some((e) => e.value.title === 'Book club');
  console.log(`the tablet sees "Book club": ${tabletSeesBookClub}; it keeps what it had, and its unsent note: ${await titles(tablet)}`);
  await syncAll(phone, laptop);
  console.log(`phone shows: ${await titles(phone)} (nothing from the tablet)`);

  // 7. The laptop quits. The phone writes meanwhile; the laptop starts again from its SQLite
  // file (the user types the passphrase) and syncs on.
  const laptopId = laptopAccount.device.id;
  await laptop.replica.close();
  screens.splice(screens.indexOf(laptop), 1);
  await addNote(phone.notes, 'dentist', { title: 'Dentist', body: 'Tuesday 9:30', updatedAt: Date.now() });
  await phone.replica.sync();
  const reopened = await SqliteLocalStore.open(laptopFile);
  const saved = await loadDevice(reopened, LAPTOP_PASSPHRASE);
  if (saved === null) throw new Error('the laptop kept no device');
  const restored = Account.restore({ device: saved.device, chain: saved.chain, transport: connect(saved.device, saved.chain.accountId) });
  laptop = screen('laptop', await Replica.open({ account: restored, store: reopened }));
  console.log(`\nlaptop restarted from its SQLite file: same device: ${equalBytes(restored.device.id, laptopId)}; before syncing it shows: ${await titles(laptop)}`);
  const report = await laptop.replica.sync();
  console.log(`laptop synced on (applied ${report.applied}) and shows: ${await titles(laptop)}`);
  await saveNote(laptop.notes, 'Book club', 'chapter 5 by Thursday');
  await syncAll(laptop, phone);
  console.log(`the laptop edits "Book club"; the phone shows: ${(await phone.notes.list({ where: (n) => n.title === 'Book club' }))[0]?.value.body}`);
} finally {
  for (const s of screens) await s.replica.close();
  await server.close();
  rmSync(dir, { recursive: true, force: true });
}

/** Syncs the devices one after the other, in this order. */
async function syncAll(...devices: Screen[]): Promise<void> {
  for (const s of devices) await s.replica.sync();
}

/** A new device joins the approver's account by QR code, both sides running at once. */
async function joinByQr(approverReplica: Replica): Promise<Account<HttpClient>> {
  const device = await Device.generate();
  const offer = createPairingOffer(device, url);
  console.log(`\nlaptop shows a QR code; the phone scans it`);
  // The person compares the screens: the phone shows a 6-digit code, the laptop asks if it matches.
  let showCode!: (code: string) => void;
  const phoneCode = new Promise<string>((resolve) => (showCode = resolve));
  const [joined] = await Promise.all([
    Account.joinWithOffer({ device, offer, transport: connect(device), connect, confirmSas: async (code) => code === (await phoneCode), ...fast }),
    // Approving through the replica hands the laptop the notes written before it existed.
    approverReplica.approveOffer(encodePairingOffer(offer), { confirm: async () => true, showSas: showCode, ...fast }),
  ]);
  console.log(`phone and laptop showed the same 6-digit code: the laptop joined by QR`);
  return joined;
}

/** A new device joins the approver's account by the code flow: it shows a code the person types on the approver. */
async function joinByCode(approverReplica: Replica): Promise<Account<HttpClient>> {
  const device = await Device.generate();
  const pairing = await Account.startCodePairing({ device, transport: connect(device) });
  console.log(`\ntablet shows the pairing code ${pairing.code}; the person types it on the phone`);
  // Then both show a 6-digit code, and the person says yes on each if they match.
  let phoneShows!: (code: string) => void;
  let tabletShows!: (code: string) => void;
  const onPhone = new Promise<string>((resolve) => (phoneShows = resolve));
  const onTablet = new Promise<string>((resolve) => (tabletShows = resolve));
  const [joined] = await Promise.all([
    pairing.complete(connect, {
      confirmSas: async (code) => {
        tabletShows(code);
        return code === (await onPhone);
      },
      ...fast,
    }),
    approverReplica.approveCode(pairing.code, {
      confirmSas: async (code) => {
        phoneShows(code);
        return code === (await onTablet);
      },
      ...fast,
    }),
  ]);
  console.log(`phone and tablet showed the same 6-digit code (${await onPhone}): the tablet joined by the code`);
  return joined;
}
