/**
 * The browser tab's side of browserSync.test.ts, run in Chromium. It imports the public API by
 * its package name, which the page's import map points at the esbuild bundle of the root
 * export, as an app's bundler would. The Node test drives it step by step through `window.mks`;
 * every value crossing that boundary is plain data (ids as hex).
 *
 * The tab keeps its device in IndexedDB as an app would: its replica in an
 * `IndexedDbLocalStore`, its secrets sealed under the database's non-extractable key (and, to
 * show the other vault works there too, under a passphrase), so after a reload `restore` brings
 * back the same device, its chain, its key ring, its records and its queued writes.
 */
import {
  Account,
  Device,
  HttpClient,
  IndexedDbLocalStore,
  Replica,
  callLogOptions,
  createPairingOffer,
  encodePairingOffer,
  fromHex,
  loadDevice,
  loadDeviceWithKey,
  saveDevice,
  saveDeviceWithKey,
  toHex,
  type CallRecord,
  type Collection,
  type SyncReport,
} from 'multikey-sync';

/** The database the tab keeps its device in. */
const DATABASE = 'multikey-sync-tab';
/** The cheapest Argon2id cost sealing accepts: the test shows the passphrase vault works, not its cost. */
const FAST_ARGON = { opsLimit: 4, memLimitBytes: 9 * 1024 * 1024 };

/** Who this tab is. */
export interface TabIdentity {
  accountHex: string;
  deviceHex: string;
}

/** What the test calls in the page. */
export interface PageApi {
  /** Makes this tab's device and its QR offer, and starts waiting for approval; returns the offer URI. */
  makeOffer(baseUrl: string, wait: { pollMs: number; timeoutMs: number }): Promise<{ uri: string; backend: string }>;
  /** The code the approving phone shows: the person tells this tab, which joins only if its own code is the same. */
  phoneShows(code: string): void;
  /**
   * Waits until the approver added this device, keeps it in IndexedDB (under the database's
   * key, and under `passphrase`), and opens a replica there.
   */
  finishJoin(passphrase: string): Promise<TabIdentity>;
  /** After a reload: the device from IndexedDB under the database's key, and its replica; null if none is kept. */
  restore(baseUrl: string): Promise<TabIdentity | null>;
  /** The id of the device the passphrase opens from IndexedDB. */
  passphraseOpens(passphrase: string): Promise<string | null>;
  sync(): Promise<SyncReport>;
  getCall(idHex: string): Promise<CallRecord | null>;
  putCall(call: CallRecord): Promise<string>;
  countCalls(): Promise<number>;
}

declare global {
  interface Window {
    mks?: PageApi;
  }
}

let joining: Promise<Account<HttpClient>> | undefined;
let phoneShows: (code: string) => void = () => undefined;
const phoneCode = new Promise<string>((resolve) => (phoneShows = resolve));
let store: IndexedDbLocalStore | undefined;
let replica: Replica | undefined;
let calls: Collection<CallRecord> | undefined;

function ready<T>(value: T | undefined, what: string): T {
  if (value === undefined) throw new Error(`${what} first`);
  return value;
}

async function openReplica(account: Account<HttpClient>, opened: IndexedDbLocalStore): Promise<TabIdentity> {
  replica = await Replica.open({ account, store: opened });
  calls = replica.collection('calls', callLogOptions());
  return { accountHex: toHex(account.accountId), deviceHex: toHex(account.device.id) };
}

window.mks = {
  async makeOffer(baseUrl, wait) {
    const device = await Device.generate();
    const offer = createPairingOffer(device, baseUrl);
    joining = Account.joinWithOffer({
      device,
      offer,
      transport: new HttpClient({ baseUrl, device }),
      connect: (d, accountId) => new HttpClient({ baseUrl, device: d, accountId }),
      confirmSas: async (code) => code === (await phoneCode),
      ...wait,
    });
    // Awaited in finishJoin; until then a rejection must not surface as an unhandled one.
    joining.catch(() => undefined);
    return { uri: encodePairingOffer(offer), backend: device.suite.name };
  },
  phoneShows: (code) => phoneShows(code),
  async finishJoin(passphrase) {
    const account = await ready(joining, 'makeOffer');
    store = await IndexedDbLocalStore.open(DATABASE);
    await saveDeviceWithKey(store, account, await store.vaultKey());
    await saveDevice(store, account, passphrase, FAST_ARGON);
    return openReplica(account, store);
  },
  async restore(baseUrl) {
    store = await IndexedDbLocalStore.open(DATABASE);
    const saved = await loadDeviceWithKey(store, await store.vaultKey());
    if (saved === null) return null;
    const { device, chain } = saved;
    const account = Account.restore({ device, chain, transport: new HttpClient({ baseUrl, device, accountId: chain.accountId }) });
    return openReplica(account, store);
  },
  async passphraseOpens(passphrase) {
    const saved = await loadDevice(ready(store, 'finishJoin or restore'), passphrase);
    return saved === null ? null : toHex(saved.device.id);
  },
  sync: () => ready(replica, 'finishJoin').sync(),
  async getCall(idHex) {
    return (await ready(calls, 'finishJoin').get(fromHex(idHex))) ?? null;
  },
  async putCall(call) {
    return toHex(await ready(calls, 'finishJoin').put(call));
  },
  countCalls: () => ready(calls, 'finishJoin').count(),
};
