/**
 * Pairing a fresh device through the approver's replica (`replica.approveOffer` /
 * `replica.approveCode`), both sides at once, the person comparing the codes; and counting
 * the envelopes a device pushes (a history hand-off is a push of grant bundles).
 */
import type { HttpClient } from '../../src/client/httpClient.js';
import { Device } from '../../src/core/device.js';
import { Account } from '../../src/enrollment/account.js';
import { createPairingOffer, encodePairingOffer } from '../../src/enrollment/pairingOffer.js';
import type { HistoryOption } from '../../src/sync/historyOption.js';
import { FAST, type EnrollmentEnv } from './enrollmentServer.js';
import { approving, sasScreens } from './sasScreens.js';
import type { SyncedDevice } from './syncHarness.js';

/** Pairs a fresh device by QR, approved through `approver.replica`; returns the new device's account. */
export async function pairByQrThroughReplica(env: EnrollmentEnv, approver: SyncedDevice, history?: HistoryOption): Promise<Account<HttpClient>> {
  const joiner = await Device.generate({ now: env.now() });
  const offer = createPairingOffer(joiner, env.url, { now: env.now() });
  const screens = sasScreens();
  const [joined] = await Promise.all([
    Account.joinWithOffer({ device: joiner, offer, transport: env.anonymous(joiner), connect: env.connect, clock: env.now, confirmSas: screens.confirmSas, ...FAST }),
    approving(
      screens,
      approver.replica.approveOffer(encodePairingOffer(offer), { confirm: async () => true, showSas: screens.showSas, ...FAST, ...(history === undefined ? {} : { history }) }),
    ),
  ]);
  return joined;
}

/** Pairs a fresh device by a typed code, approved through `approver.replica`; the person sees both codes match. */
export async function pairByCodeThroughReplica(env: EnrollmentEnv, approver: SyncedDevice, history?: HistoryOption): Promise<Account<HttpClient>> {
  const joiner = await Device.generate({ now: env.now() });
  const started = await Account.startCodePairing({ device: joiner, transport: env.anonymous(joiner), clock: env.now });
  const seen: { joiner?: (s: string) => void; approver?: (s: string) => void } = {};
  const joinerSaw = new Promise<string>((r) => (seen.joiner = r));
  const approverSaw = new Promise<string>((r) => (seen.approver = r));
  const [joined] = await Promise.all([
    started.complete(env.connect, { confirmSas: async (sas) => (seen.joiner!(sas), sas === (await approverSaw)), ...FAST }),
    approver.replica.approveCode(started.code, {
      confirmSas: async (sas) => (seen.approver!(sas), sas === (await joinerSaw)),
      ...FAST,
      ...(history === undefined ? {} : { history }),
    }),
  ]);
  return joined;
}

/** Counts the envelopes `device` pushes from now on (checkpoints not included). */
export function countPushedEnvelopes(device: SyncedDevice): { readonly count: number } {
  const transport = device.account.transport;
  const push = transport.push.bind(transport);
  const counter = { count: 0 };
  transport.push = async (envelopes, log) => {
    counter.count += envelopes.length;
    return push(envelopes, log);
  };
  return counter;
}
