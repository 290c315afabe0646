/**
 * Test harness: a real server on 127.0.0.1 (random port) over SQLite in a temp folder, and
 * accounts with enrolled devices talking to it through HttpClient. Devices write as format 2
 * requires: envelopes sealed under real pair keys, pushed with the device's next log checkpoint
 * claiming exactly them (`sealFrom`, `logFor`, `pushFrom`, `purgeFrom`).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HttpClient, type HttpClientOptions } from '../../src/client/httpClient.js';
import { Device } from '../../src/core/device.js';
import { idKey } from '../../src/core/devicePublic.js';
import { parseEnvelope, type EnvelopeKind } from '../../src/core/envelopeFormat.js';
import { envelopeHash } from '../../src/core/envelopeHash.js';
import {
  decodeCheckpoint,
  NO_PREVIOUS,
  signCheckpoint,
  type Checkpoint,
  type CheckpointFields,
  type Claim,
  type PairKeyOffer,
  type Purge,
} from '../../src/core/logCheckpoint.js';
import type { PairKeyLookup } from '../../src/core/open.js';
import { seal, type SealRecipient } from '../../src/core/seal.js';
import { equalBytes } from '../../src/crypto/bytes.js';
import { createGenesis, deviceKeys, makeAdd, makeRemove, signConsent } from '../../src/enrollment/chainOps.js';
import { serverLogHeads } from '../../src/enrollment/logCut.js';
import { activeDevices, applyEntry, genesisState, type ChainState } from '../../src/enrollment/chainState.js';
import { createRecoveryWords, recoveryDevice } from '../../src/enrollment/recoveryWords.js';
import type { PushOutcome } from '../../src/http/messages.js';
import { createServer, type SyncServer } from '../../src/server/createServer.js';
import type { ServerLimits } from '../../src/server/options.js';
import { SqliteStore } from '../../src/storage/sqliteStore.js';
import type { Store } from '../../src/storage/store.js';

/** A running server over SQLite. */
export interface Harness {
  server: SyncServer;
  store: Store;
  url: string;
  dir: string;
  dbPath: string;
  logs: string[];
  /** Closes the server (and the store), then removes the folder. */
  stop(): Promise<void>;
}

export interface HarnessOptions {
  limits?: ServerLimits;
  clock?: () => number;
  quotaBytes?: number;
  store?: Store;
}

/** Starts a server on SQLite in a fresh temp folder. */
export async function startServer(options: HarnessOptions = {}): Promise<Harness> {
  const dir = mkdtempSync(join(tmpdir(), 'mks-server-'));
  const dbPath = join(dir, 'data.sqlite');
  const store = options.store ?? (await SqliteStore.open(dbPath, options.quotaBytes === undefined ? {} : { quotaBytes: options.quotaBytes }));
  const logs: string[] = [];
  const server = createServer({
    store,
    limits: { requestsPerSecond: Infinity, anonymousPerSecond: Infinity, ipPerSecond: Infinity, ...options.limits },
    log: (line) => logs.push(line),
    ...(options.clock === undefined ? {} : { clock: options.clock }),
  });
  const { url } = await server.listen(0, '127.0.0.1');
  return {
    server,
    store,
    url,
    dir,
    dbPath,
    logs,
    async stop() {
      await server.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * Pair keys among an account's devices, made the way the protocol makes them: kek(s→r, 1) for
 * every ordered pair (self-pairs included), each sender's ciphertexts published in its first
 * checkpoint (position 1), which `logFor` builds with them.
 */
export class AccountKeys {
  readonly #sent = new Map<string, SealRecipient>();
  readonly #offers = new Map<string, PairKeyOffer[]>();
  readonly #received = new Map<string, Uint8Array>();

  constructor(devices: readonly Device[]) {
    for (const s of devices) {
      const offers: PairKeyOffer[] = [];
      for (const r of devices) {
        const statement = r.epochs.current!.statement;
        const made = s.establishPairKey(r.public, statement, 1);
        const accepted = r.acceptPairKey(s.public, made.epoch, 1, made.ciphertext);
        if (!equalBytes(accepted, made.key)) throw new Error('the two sides derived different pair keys');
        this.#sent.set(idKey(s.id) + idKey(r.id), { card: r.public, ref: 1, key: made.key });
        this.#received.set(idKey(r.id) + idKey(s.id), accepted);
        offers.push({ recipient: r.id, epoch: made.epoch, ciphertext: made.ciphertext });
      }
      this.#offers.set(idKey(s.id), offers);
    }
  }

  /** What `sender` seals with for each of `to`. */
  recipients(sender: Device, to: readonly { id: Uint8Array }[]): SealRecipient[] {
    return to.map((r) => {
      const got = this.#sent.get(idKey(sender.id) + idKey(r.id));
      if (got === undefined) throw new Error('no pair key toward this recipient');
      return got;
    });
  }

  /** The ciphertexts `sender`'s first checkpoint publishes. */
  offers(sender: Device): PairKeyOffer[] {
    return this.#offers.get(idKey(sender.id)) ?? [];
  }

  /** The pair keys `recipient` derived, as `open` looks them up. */
  lookup(recipient: Device): PairKeyLookup {
    return { get: (sender, ref) => (ref === 1 ? this.#received.get(idKey(recipient.id) + idKey(sender)) : undefined) };
  }
}

/** An account with enrolled devices, each with its own client. */
export interface TestAccount {
  accountId: Uint8Array;
  devices: Device[];
  clients: HttpClient[];
  state: ChainState;
  keys: AccountKeys;
  /** The recovery pseudo-device and a client signing as it (accounts created with `recovery`). */
  recovery?: { device: Device; client: HttpClient };
}

export interface AccountOptions extends Partial<HttpClientOptions> {
  /** Give the account recovery words (the genesis names the recovery pseudo-device). */
  recovery?: boolean;
}

/** Creates an account through `url` with `n` devices (the first creates, then adds the others). */
export async function createAccount(url: string, n: number, options: AccountOptions = {}): Promise<TestAccount> {
  const { recovery: withRecovery, ...clientOptions } = options;
  const devices: Device[] = [];
  for (let i = 0; i < n; i++) devices.push(await Device.generate());
  const recovery = withRecovery === true ? await recoveryDevice(createRecoveryWords()) : undefined;
  const first = new HttpClient({ baseUrl: url, device: devices[0]!, ...clientOptions });
  const genesis = createGenesis(devices[0]!, recovery === undefined ? {} : { recovery: deviceKeys(recovery) });
  const created = await first.createAccount(genesis.bytes);
  let state = genesisState(devices[0]!.suite, genesis);
  for (const joiner of devices.slice(1)) {
    const add = makeAdd(devices[0]!, state, deviceKeys(joiner), signConsent(joiner, state.accountId));
    await first.appendChain(add.bytes, state.head);
    state = applyEntry(devices[0]!.suite, state, add);
  }
  const clientOf = (device: Device) => new HttpClient({ baseUrl: url, device, accountId: created.account, ...clientOptions });
  return {
    accountId: created.account,
    devices,
    clients: devices.map((device, i) => (i === 0 ? first : clientOf(device))),
    state,
    keys: new AccountKeys(recovery === undefined ? devices : [...devices, recovery]),
    ...(recovery === undefined ? {} : { recovery: { device: recovery, client: clientOf(recovery) } }),
  };
}

/** A writer of the account: a device index, or a device (the recovery device) with its client. */
export type Writer = number | { device: Device; client: HttpClient };

function writer(account: TestAccount, from: Writer): { device: Device; client: HttpClient } {
  return typeof from === 'number' ? { device: account.devices[from]!, client: account.clients[from]! } : from;
}

/**
 * Removes `devices[index]` from the chain, signed by device 0, with the cut the protocol asks
 * for: the device's log head as the server stores it (read and verified through GET logs).
 */
export async function removeDevice(account: TestAccount, index: number): Promise<void> {
  const phone = account.devices[0]!;
  const cut = await serverLogHeads(phone.suite, account.clients[0]!, account).logHead(account.devices[index]!.id);
  const remove = makeRemove(phone, account.state, account.devices[index]!.id, cut);
  await account.clients[0]!.appendChain(remove.bytes, account.state.head);
  account.state = applyEntry(phone.suite, account.state, remove);
}

/** What to seal besides the body. */
export interface SealOptions {
  recordId?: Uint8Array;
  revision?: number;
  kind?: EnvelopeKind;
  expiryDay?: number;
  /** The recipients (default: every device the account's chain lists as active now). */
  to?: readonly { id: Uint8Array }[];
}

/** Seals `body` from `from` under its pair keys toward every active device of the account. */
export function sealFrom(account: TestAccount, from: Writer, body: unknown, options: SealOptions = {}): Uint8Array {
  const { device } = writer(account, from);
  const to = options.to ?? activeDevices(account.state, Date.now());
  return seal(device, account.accountId, account.keys.recipients(device, to), {
    body,
    revision: options.revision ?? 0,
    ...(options.kind === undefined ? {} : { kind: options.kind }),
    ...(options.expiryDay === undefined ? {} : { expiryDay: options.expiryDay }),
    ...(options.recordId === undefined ? {} : { recordId: options.recordId }),
  });
}

/** The claim that describes `envelope`: its header fields and H, recomputed from its bytes. */
export function claimOf(account: TestAccount, envelope: Uint8Array): Claim {
  const e = parseEnvelope(envelope);
  const hash = envelopeHash(account.devices[0]!.suite, account.accountId, e.headerAndBody, e.stanzas);
  return { recordId: e.recordId, revision: e.revision, kind: e.kind, expiryDay: e.expiryDay, hash };
}

export interface LogOptions {
  /** Records the checkpoint asks the server to purge. */
  purges?: readonly Purge[];
  /** Rewrites the fields before signing (to build a checkpoint the server must refuse). */
  edit?: (fields: CheckpointFields) => CheckpointFields;
}

/**
 * `from`'s next log checkpoint, signed by it, claiming `envelopes` in order: at the position
 * after its log head as the server stores it (read through GET logs/:device, so a refused push
 * leaves nothing to undo), naming that head as prev, and carrying the device's pair-key
 * ciphertexts when it is its first.
 */
export async function logFor(account: TestAccount, from: Writer, envelopes: readonly Uint8Array[], options: LogOptions = {}): Promise<Checkpoint> {
  const { device, client } = writer(account, from);
  const stored = await client.logHead(device.id);
  const head = stored === null ? null : decodeCheckpoint(device.suite, account.accountId, stored);
  if (head !== null && !equalBytes(head.sender, device.id)) throw new Error('the server answered with another device\'s log');
  const position = (head?.position ?? 0) + 1;
  const fields: CheckpointFields = {
    sender: device.id,
    position,
    prev: head?.hash ?? NO_PREVIOUS,
    chainHead: account.state.head,
    time: Date.now(),
    claims: envelopes.map((e) => claimOf(account, e)),
    purges: options.purges ?? [],
    pairKeys: position === 1 ? account.keys.offers(device) : [],
    seen: [],
  };
  return signCheckpoint(device, account.accountId, options.edit === undefined ? fields : options.edit(fields));
}

/** Pushes `envelopes` from `from` with its next checkpoint (through `client`, default its own). */
export async function pushFrom(account: TestAccount, from: Writer, envelopes: readonly Uint8Array[], client?: HttpClient): Promise<PushOutcome[]> {
  const log = await logFor(account, from, envelopes);
  return (client ?? writer(account, from).client).push(envelopes, log.bytes);
}

/** Purges `recordIds` (every revision, unless `upToRevision` says otherwise) with `from`'s next checkpoint. */
export async function purgeFrom(account: TestAccount, from: Writer, recordIds: readonly Uint8Array[], upToRevision = 0xffff_ffff): Promise<number> {
  const log = await logFor(account, from, [], { purges: recordIds.map((recordId) => ({ recordId, upToRevision })) });
  return writer(account, from).client.purge(log.bytes);
}

/** A distinct call record. */
export function callRecord(i: number) {
  return {
    collection: 'calls',
    record: {
      service: 'phone',
      direction: i % 2 === 0 ? 'incoming' : 'outgoing',
      answered: true,
      peer: `+1415555${String(1000 + (i % 9000)).padStart(4, '0')}`,
      startedAt: 1_700_000_000_000 + i * 60_000,
      durationSec: 30 + (i % 600),
    },
  };
}
