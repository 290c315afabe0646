/**
 * The joining device's last step, shared by QR and code pairing: connect to the account named
 * in the invite, fetch and verify its whole chain from genesis, and check that the entry the
 * welcome names is an `add` of exactly this device's card, signed by the device that invited it.
 */
import { CryptoError } from '../errors.js';
import { equalBytes } from '../crypto/bytes.js';
import type { Device } from '../core/device.js';
import { encodeDevicePublic, idKey } from '../core/devicePublic.js';
import { decodeEntry } from './chainEntry.js';
import { DeviceChain } from './deviceChain.js';
import { ForkAlarm } from './forkAlarm.js';
import type { Invite, Welcome } from './pairingMessages.js';
import type { EnrollmentTransport, TransportFactory } from './transport.js';

/**
 * Connects and verifies; returns the new device's transport and chain.
 * @throws {CryptoError} `PAIRING_NOT_ADDED` when the welcome's entry is not this device's add.
 * @throws {ForkAlarm} `FORK_ALARM` when the server's chain is not the account's or lacks the
 *   heads the approver named.
 * @throws {RemoteError} from the transport.
 */
export async function joinChain<T extends EnrollmentTransport>(
  device: Device,
  invite: Invite,
  welcome: Welcome,
  connect: TransportFactory<T>,
  /** The device clock; the chain corrects it by the new transport's offset. */
  clock: () => number,
): Promise<{ transport: T; chain: DeviceChain }> {
  const transport = connect(device, invite.account);
  const chain = await DeviceChain.fetch(device.suite, transport, { accountId: invite.account, self: device.id, clock });
  const at = chain.indexOf(welcome.head);
  if (!chain.has(invite.head) || at === undefined || at + 1 !== welcome.length) {
    throw new ForkAlarm('unknown-head', 'the server does not show the chain the approving device saw');
  }
  const add = decodeEntry(device.suite, chain.entryAt(at)!).entry;
  const listed = chain.state.devices.get(idKey(device.id));
  const added =
    add.t === 'add' &&
    add.dev !== undefined &&
    equalBytes(add.dev, encodeDevicePublic(device.public)) &&
    add.by !== undefined &&
    equalBytes(add.by, invite.approver.id) &&
    listed !== undefined &&
    listed.role === 'device' &&
    listed.effectiveAt === 0 &&
    equalBytes(listed.card.encryptionKey, device.public.encryptionKey);
  if (!added) throw new CryptoError('PAIRING_NOT_ADDED', 'the account does not list this device as added by the approving device');
  return { transport, chain };
}
