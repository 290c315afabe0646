/**
 * The browser tab's side of browserSync.test.ts, run in Chromium. It imports the public API by
 * its package name, which the page's import map points at the esbuild bundle of the root
 * export, as an app's bundler would. The Node test drives it step by step through `window.mks`;
 * every value crossing that boundary is plain data (ids as hex).
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
  fromHex,
  toHex,
  type CallRecord,
  type Collection,
  type SyncReport,
} from 'multikey-sync';

/** What the test calls in the page. */
export interface PageApi {
  /** Makes this tab's device and its QR offer, and starts waiting for approval; returns the offer URI. */
  makeOffer(baseUrl: string, wait: { pollMs: number; timeoutMs: number }): Promise<{ uri: string; backend: string }>;
  /** The code the approving phone shows: the person tells this tab, which joins only if its own code is the same. */
  phoneShows(code: string): void;
  /** Waits until the approver added this device, then opens a replica on a memory store; returns the account id. */
  finishJoin(): Promise<string>;
  sync(): Promise<SyncReport>;
  getCall(idHex: string): Promise<CallRecord | null>;
  putCall(call: CallRecord): Promise<string>;
}

declare global {
  interface Window {
    mks?: PageApi;
  }
}

let joining: Promise<Account<HttpClient>> | undefined;
let phoneShows: (code: string) => void = () => undefined;
const phoneCode = new Promise<string>((resolve) => (phoneShows = resolve));
let replica: Replica | undefined;
let calls: Collection<CallRecord> | undefined;

function ready<T>(value: T | undefined, what: string): T {
  if (value === undefined) throw new Error(`${what} first`);
  return value;
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
  async finishJoin() {
    const account = await ready(joining, 'makeOffer');
    replica = await Replica.open({ account, store: new MemoryLocalStore() });
    calls = replica.collection('calls', callLogOptions());
    return toHex(account.accountId);
  },
  sync: () => ready(replica, 'finishJoin').sync(),
  async getCall(idHex) {
    return (await ready(calls, 'finishJoin').get(fromHex(idHex))) ?? null;
  },
  async putCall(call) {
    return toHex(await ready(calls, 'finishJoin').put(call));
  },
};
