/**
 * Seal one call record for three devices: each opens it, a fourth device gets null, and a
 * tampered copy is refused with its error code. Run: npx tsx examples/seal-call-record.ts
 */
import { Device, DeviceDirectory, isMultikeySyncError, open, seal, validateCallRecord } from 'multikey-sync';

const phone = await Device.generate();
const laptop = await Device.generate();
const tablet = await Device.generate({ backend: 'noble' }); // the pure-JavaScript backend interoperates
const stranger = await Device.generate();

// The account's devices. In a real app this list comes from the verified device chain.
const devices = new DeviceDirectory([phone.public, laptop.public, tablet.public]);
const account = new Uint8Array(32).fill(7); // the account id (the hash of its genesis entry)
const chainHead = new Uint8Array(32); // the device-chain head the phone had verified

const call = validateCallRecord({
  service: 'voip',
  app: 'net.whatsapp.WhatsApp',
  direction: 'incoming',
  answered: false,
  peer: '+14155550123',
  startedAt: Date.UTC(2026, 10, 27, 18, 42),
  durationSec: 0,
});

const envelope = seal(phone, account, devices, { body: call, revision: 1, sequence: 1, chainHead });
console.log(`sealed once for ${devices.size} devices: ${envelope.length} bytes`);

for (const [name, device] of [['phone', phone], ['laptop', laptop], ['tablet', tablet]] as const) {
  const opened = open<typeof call>(device, account, devices, envelope);
  console.log(`${name.padEnd(7)} opens it: ${opened?.body.direction} ${opened?.body.service} call, missed=${!opened?.body.answered}`);
}
console.log(`stranger gets: ${open(stranger, account, devices, envelope)}`);

const tampered = envelope.slice();
tampered[100]! ^= 0x01; // one bit of the ciphertext
try {
  open(laptop, account, devices, tampered);
  throw new Error('a tampered envelope opened');
} catch (error) {
  if (!isMultikeySyncError(error)) throw error;
  console.log(`tampered copy refused: ${error.code}`);
}
