/**
 * The notes app in a browser tab: the page's code around the library, for a bundler to pack with
 * the page (any bundler that resolves `multikey-sync`; the test bundles it with esbuild). On the
 * first visit the tab joins the account by QR code and keeps its device in IndexedDB, sealed
 * under a non-extractable WebCrypto key kept in the same database; after a reload it opens that
 * device again, with its notes and any edit it had not synced, and syncs on. Nothing here asks
 * the user for a passphrase: docs/api.md, "Browser persistence", says what that key protects
 * and what not.
 *
 * Run by test/browser/notesAppBrowser.test.ts in headless Chromium: the tab joins a Node phone,
 * syncs notes both ways, reloads, and syncs again with its notes intact.
 */
import {
  Account,
  Device,
  HttpClient,
  IndexedDbLocalStore,
  Replica,
  createPairingOffer,
  encodePairingOffer,
  loadDeviceWithKey,
  saveDeviceWithKey,
  type Collection,
} from 'multikey-sync';
import { notesOf, type Note } from './notes.js';

/** The IndexedDB database this browser keeps its device and its notes in. */
export const NOTES_DATABASE = 'notes-device';

/** The tab's device, open. */
export interface NotesTab {
  account: Account<HttpClient>;
  replica: Replica;
  notes: Collection<Note>;
}

/** What the page shows while it joins. */
export interface PairingScreen {
  /** Shows the QR code of `uri` for the phone to scan. */
  showQr(uri: string): void;
  /** Shows the 6-digit code and resolves true when the user says the phone shows the same. */
  sameCode(code: string): Promise<boolean>;
}

/** How often and how long to wait for the phone (the library's defaults when left out). */
export interface PairingWait {
  pollMs?: number;
  timeoutMs?: number;
}

async function open(account: Account<HttpClient>, store: IndexedDbLocalStore): Promise<NotesTab> {
  const replica = await Replica.open({ account, store });
  return { account, replica, notes: notesOf(replica) };
}

/** On every page load: the device this browser kept, with its notes; null on the first visit (then call {@link joinByQr}). */
export async function reopenTab(baseUrl: string): Promise<NotesTab | null> {
  const store = await IndexedDbLocalStore.open(NOTES_DATABASE);
  const saved = await loadDeviceWithKey(store, await store.vaultKey());
  if (saved === null) {
    await store.close();
    return null;
  }
  const { device, chain } = saved;
  return open(Account.restore({ device, chain, transport: new HttpClient({ baseUrl, device, accountId: chain.accountId }) }), store);
}

/** The first visit: a new device joins the account by QR code and is kept in IndexedDB. */
export async function joinByQr(baseUrl: string, screen: PairingScreen, wait: PairingWait = {}): Promise<NotesTab> {
  const device = await Device.generate();
  const offer = createPairingOffer(device, baseUrl);
  screen.showQr(encodePairingOffer(offer));
  const account = await Account.joinWithOffer({
    device,
    offer,
    transport: new HttpClient({ baseUrl, device }),
    connect: (joined, accountId) => new HttpClient({ baseUrl, device: joined, accountId }),
    confirmSas: (code) => screen.sameCode(code),
    ...wait,
  });
  const store = await IndexedDbLocalStore.open(NOTES_DATABASE);
  await saveDeviceWithKey(store, account, await store.vaultKey());
  return open(account, store);
}
