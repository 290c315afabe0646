/**
 * The core API, plainly: one call record sealed for three devices under pair keys, opened on each,
 * null on a fourth device, and a tampered copy refused with its error code.
 * Run: npx tsx examples/seal-call-record.ts
 *
 * A `Replica` does every step below by itself: it publishes key statements and pair-key
 * ciphertexts in its device's signed log, keeps the keys in a key ring, and rolls them weekly.
 * This is what it does underneath, by hand and in memory.
 */
import {
  Device,
  decodeKeyStatement,
  equalBytes,
  isMultikeySyncError,
  open,
  seal,
  validateCallRecord,
  verifyKeyStatement,
  type PairKeyLookup,
  type SealRecipient,
} from 'multikey-sync';

const phone = await Device.generate();
const laptop = await Device.generate();
const tablet = await Device.generate({ backend: 'noble' }); // the pure-JavaScript backend interoperates
const stranger = await Device.generate();
const account = new Uint8Array(32).fill(7); // the account id (the hash of its genesis entry)

// 1. Each device publishes its card and its key statement: its X-Wing public key for the current
//    key epoch, signed by its identity key. In an account they travel in the device chain and logs.
const published = [phone, laptop, tablet].map((d) => ({ card: d.public, statement: d.epochs.current!.statement.bytes }));

// 2. The phone (the writer) establishes a pair key toward each of them, itself included so that it
//    can read its record back: one X-Wing encapsulation per recipient and epoch. `ref` is where the
//    ciphertext is published: a position in the phone's log.
const ref = 1;
const recipients: SealRecipient[] = [];
const ciphertexts: { to: Uint8Array; epoch: number; ciphertext: Uint8Array }[] = [];
for (const { card, statement } of published) {
  const checked = verifyKeyStatement(phone.suite, decodeKeyStatement(statement), card); // signed by that card's identity key
  const { key, epoch, ciphertext } = phone.establishPairKey(card, checked, ref);
  recipients.push({ card, ref, key });
  ciphertexts.push({ to: card.id, epoch, ciphertext });
}
console.log(`the phone published ${ciphertexts.length} pair-key ciphertexts of ${ciphertexts[0]!.ciphertext.length} bytes (once per recipient and epoch)`);

// 3. Each recipient derives the same key from the ciphertext meant for it; `open` looks keys up by
//    sender and reference.
function keysOf(device: Device): PairKeyLookup {
  const mine = ciphertexts.find((c) => equalBytes(c.to, device.id));
  const key = mine === undefined ? undefined : device.acceptPairKey(phone.public, mine.epoch, ref, mine.ciphertext);
  return { get: (sender, at) => (equalBytes(sender, phone.id) && at === ref ? key : undefined) };
}

// 4. Seal once: the record is encrypted once, its content key wrapped under each pair key. No
//    public-key operation happens here.
const call = validateCallRecord({
  service: 'voip',
  app: 'net.whatsapp.WhatsApp',
  direction: 'incoming',
  answered: false,
  peer: '+14155550123',
  startedAt: Date.UTC(2026, 10, 27, 18, 42),
  durationSec: 0,
});
const envelope = seal(phone, account, recipients, { body: call, revision: 1 });
console.log(`sealed once for ${recipients.length} devices: ${envelope.length} bytes`);

for (const [name, device] of [['phone', phone], ['laptop', laptop], ['tablet', tablet]] as const) {
  const opened = open<typeof call>(device, account, keysOf(device), envelope);
  console.log(`${name.padEnd(7)} opens it: ${opened?.body.direction} ${opened?.body.service} call, missed=${!opened?.body.answered}`);
}
// Not addressed to it: a value, not an error.
console.log(`stranger gets: ${open(stranger, account, keysOf(stranger), envelope)}`);

const tampered = envelope.slice();
tampered[100]! ^= 0x01; // one bit of the ciphertext
try {
  open(laptop, account, keysOf(laptop), tampered);
  throw new Error('a tampered envelope opened');
} catch (error) {
  if (!isMultikeySyncError(error)) throw error;
  console.log(`tampered copy refused: ${error.code}`);
}
