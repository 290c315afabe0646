/**
 * The joining device's last step, shared by QR and code pairing: connect to the account named
 * in the invite, fetch and verify its whole chain from genesis, and check that the entry the
 * welcome names is an `add` of exactly this device's card and key statement, signed by the
 * device that invited it (docs/protocol.md §20.3, "After the welcome").
 */
import { CryptoError } from '../errors.js';
import { equalBytes } from '../crypto/bytes.js';
import type { Device } from '../core/device.js';
import { encodeDevicePublic, idKey } from '../core/devicePublic.js';
import { decodeEntry } from './chainEntry.js';
import type { DeviceKeys } from './chainOps.js';
import { DeviceChain } from './deviceChain.js';
import { ForkAlarm } from './forkAlarm.js';
import type { Invite, Welcome } from './pairingMessages.js';
import type { EnrollmentTransport, TransportFactory } from './transport.js';

/**
 * Checks a verified `chain` against what the pairing promised the joining device `joiner`.
 * @throws {ForkAlarm} `FORK_ALARM`: `diverged` when the chain is not the invite's account;
 *   `unknown-head` when it lacks the invite's head, or the welcome's head at index `l − 1`.
 * @throws {CryptoError} `PAIRING_NOT_ADDED` when that entry is not an `add` of exactly this card
 *   and key statement, signed by the inviting device, leaving this device listed as a real
 *   device, active at once, with this encryption key.
 */
export function verifyJoin(chain: DeviceChain, joiner: DeviceKeys, invite: Pick<Invite, 'account' | 'head' | 'approver'>, welcome: Welcome): void {
  if (!equalBytes(chain.accountId, invite.account)) throw new ForkAlarm('diverged', 'the server sent the chain of another account');
  const at = chain.indexOf(welcome.head);
  if (!chain.has(invite.head) || at === undefined || at + 1 !== welcome.length) {
    throw new ForkAlarm('unknown-head', 'the server does not show the chain the approving device saw');
  }
  const add = decodeEntry(chain.suite, chain.entryAt(at)!).entry;
  const listed = chain.state.devices.get(idKey(joiner.card.id));
  const added =
    add.t === 'add' &&
    add.dev !== undefined &&
    equalBytes(add.dev, encodeDevicePublic(joiner.card)) &&
    add.xk !== undefined &&
    equalBytes(add.xk, joiner.keyStatement.bytes) &&
    add.by !== undefined &&
    equalBytes(add.by, invite.approver.id) &&
    listed !== undefined &&
    listed.role === 'device' &&
    listed.effectiveAt === 0 &&
    equalBytes(listed.card.encryptionKey, joiner.card.encryptionKey);
  if (!added) throw new CryptoError('PAIRING_NOT_ADDED', 'the account does not list this device as added by the approving device');
}

/**
 * Connects and verifies; returns the new device's transport and chain.
 * @throws see {@link verifyJoin}; {@link DeviceChain.fetch}'s `FORK_ALARM`; RemoteError from the transport.
 */
export async function joinChain<T extends EnrollmentTransport>(
  device: Device,
  joiner: DeviceKeys,
  invite: Invite,
  welcome: Welcome,
  connect: TransportFactory<T>,
  /** The device clock; the chain corrects it by the new transport's offset. */
  clock: () => number,
): Promise<{ transport: T; chain: DeviceChain }> {
  const transport = connect(device, invite.account);
  const chain = await DeviceChain.fetch(device.suite, transport, { accountId: invite.account, self: device.id, clock });
  verifyJoin(chain, joiner, invite, welcome);
  return { transport, chain };
}
