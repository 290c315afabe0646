/**
 * The real server on a real store, bound to 127.0.0.1, and signed HTTP clients for it: what the
 * pipeline sections measure through. Request-rate limits are lifted (a bulk sync of 100k records
 * would otherwise measure the default 100 requests/s per device, not the pipeline); every other
 * limit, the body checks, signatures and the nonce store run as in production.
 */
import { HttpClient } from '../src/client/httpClient.js';
import { Device } from '../src/core/device.js';
import { Account } from '../src/enrollment/account.js';
import type { EncodedEntry } from '../src/enrollment/chainEntry.js';
import { createGenesis, deviceKeys, makeAdd, signConsent } from '../src/enrollment/chainOps.js';
import { applyEntry, genesisState, type ChainState } from '../src/enrollment/chainState.js';
import { createPairingOffer, encodePairingOffer } from '../src/enrollment/pairingOffer.js';
import { createServer, type SyncServer } from '../src/server/createServer.js';
import type { Store } from '../src/storage/store.js';

/** A listening server and a way to make clients for it. */
export interface Loopback {
  url: string;
  server: SyncServer;
  client(device: Device, accountId?: Uint8Array): HttpClient;
  /** Closes the server, which closes its store. */
  close(): Promise<void>;
}

/** Starts the server over `store` on a free loopback port. */
export async function startLoopback(store: Store): Promise<Loopback> {
  const server = createServer({ store, limits: { requestsPerSecond: Infinity, anonymousPerSecond: Infinity, ipPerSecond: Infinity } });
  const { url } = await server.listen(0, '127.0.0.1');
  return {
    url,
    server,
    // No retries: a failed request must fail the bench, not be hidden inside a timing.
    client: (device, accountId) => new HttpClient({ baseUrl: url, device, retry: false, ...(accountId === undefined ? {} : { accountId }) }),
    close: () => server.close(),
  };
}

/**
 * Lets the event loop run its timers before the next request. A long run of local work (puts
 * whose awaits all resolve at once) starves the timers, so a pooled keep-alive socket the server
 * timed out meanwhile is handed to the next request, which the server then resets (ECONNRESET;
 * the bench's clients do not retry). Call it after such a phase, outside what is timed.
 */
export function settle(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 50));
}

/** A device chain built offline: genesis by the first device, then an `add` of each other one. */
export interface PrebuiltChain {
  entries: EncodedEntry[];
  state: ChainState;
}

/** Signs genesis + adds for `devices` (no recovery key); the same bytes can seed many stores. */
export function buildChain(devices: readonly Device[], now = Date.now()): PrebuiltChain {
  const [first, ...rest] = devices;
  if (first === undefined) throw new Error('buildChain needs a device');
  const genesis = createGenesis(first, { now });
  const entries = [genesis];
  let state = genesisState(first.suite, genesis);
  for (const d of rest) {
    const add = makeAdd(first, state, deviceKeys(d), signConsent(d, state.accountId), { now });
    state = applyEntry(first.suite, state, add);
    entries.push(add);
  }
  return { entries, state };
}

/** Creates the account of `chain` on the server behind `client` and appends its entries. */
export async function createOnServer(client: HttpClient, chain: PrebuiltChain): Promise<void> {
  const [genesis, ...rest] = chain.entries;
  await client.createAccount(genesis!.bytes);
  let head = genesis!.hash;
  for (const e of rest) {
    await client.appendChain(e.bytes, head);
    head = e.hash;
  }
}

const PAIRING_WAIT = { pollMs: 10, timeoutMs: 30_000 } as const;

/**
 * An account made as an app makes one: `Account.create` on the first device (recovery words on,
 * the default, so the recovery key is one more recipient), then each other device paired by QR
 * through the server's mailbox, approver and joiner running at once. Every copy is refreshed.
 */
export async function pairedAccounts(loop: Loopback, devices: number): Promise<Account<HttpClient>[]> {
  const first = await Device.generate();
  const { account } = await Account.create({ device: first, transport: loop.client(first) });
  const accounts = [account];
  for (let i = 1; i < devices; i++) {
    const joiner = await Device.generate();
    const offer = createPairingOffer(joiner, loop.url);
    let showCode!: (code: string) => void;
    const shownCode = new Promise<string>((resolve) => (showCode = resolve));
    const [joined] = await Promise.all([
      Account.joinWithOffer({
        device: joiner,
        offer,
        transport: loop.client(joiner),
        connect: (d, id) => loop.client(d, id),
        confirmSas: async (code) => code === (await shownCode),
        ...PAIRING_WAIT,
      }),
      account.approveOffer(encodePairingOffer(offer), { confirm: async () => true, showSas: showCode, ...PAIRING_WAIT }),
    ]);
    accounts.push(joined);
  }
  for (const a of accounts) await a.refresh();
  return accounts;
}
