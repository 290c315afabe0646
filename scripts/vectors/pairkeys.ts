/** docs/protocol.md §4 → pairkeys.json: kek(S→R, ref) for every ordered pair of devices.json's devices,
 * with the eseed, X-Wing ciphertext and shared secret, X25519 shared secret and KDF message; a pair
 * toward a later epoch; what a tampered ML-KEM part yields; and inputs that must be refused.
 */
import { concatBytes, fromHex } from '../../src/crypto/bytes.js';
import { labelled } from '../../src/crypto/kdf.js';
import { LABELS } from '../../src/crypto/labels.js';
import type { BackendName, CryptoProvider } from '../../src/crypto/provider.js';
import { Device } from '../../src/core/device.js';
import type { DevicePublic } from '../../src/core/devicePublic.js';
import { decodeKeyStatement } from '../../src/core/keyStatement.js';
import { pairKeyMessage } from '../../src/core/pairKey.js';
import {
  ALL_DEVICE_NAMES,
  BACKENDS,
  check,
  drbg,
  flip,
  hex,
  LAPTOP,
  outcome,
  PAIR_REFS,
  pairEseed,
  PHONE,
  replay,
  sameBytes,
  TABLET,
  withRotated,
  type DeviceSet,
  type PairKeyFixture,
} from './shared.js';

/** X25519 u-coordinates that yield the all-zero shared secret for every (clamped) scalar. */
export const LOW_ORDER_POINTS: Array<{ name: string; u: string }> = [
  { name: 'u = 0', u: '0000000000000000000000000000000000000000000000000000000000000000' },
  { name: 'u = 1', u: '0100000000000000000000000000000000000000000000000000000000000000' },
  { name: 'order-8 point', u: 'e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800' },
  { name: 'order-8 point', u: '5f9c95bca3508c24b1d0b1559c83ef5b04445cc4581c8e86d8224eddd09f1157' },
  { name: 'u = p - 1', u: 'ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f' },
  { name: 'u = p (non-canonical 0)', u: 'edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f' },
  { name: 'u = p + 1 (non-canonical 1)', u: 'eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f' },
];

/** Where a ciphertext's X25519 part starts (after ML-KEM-768's 1088 bytes). */
const CT_X25519_AT = 1088;

/** The seed of the phone's epoch 1 (devices.json → laterStatements). */
export function phoneEpoch1Seed(suite: CryptoProvider): Uint8Array {
  return drbg(suite, 'device/phone/epoch-1')(32);
}

/** The phone of `backend` with its epoch 1 begun (a fresh object: the set's phone stays at epoch 0). */
export async function phoneAtEpoch1(set: DeviceSet, suite: CryptoProvider, backend: BackendName): Promise<Device> {
  const phone = set.byBackend.sodium[PHONE]!;
  const random = concatBytes(phone.exportSecrets().subarray(1), set.epochSeeds[PHONE]!);
  const d = await Device.generate({ backend, random: replay(random), now: 0 });
  d.epochs.begin(d, phoneEpoch1Seed(suite), 1);
  return d;
}

type EstablishCase = {
  name: string;
  why: string;
  op: 'establish';
  sender: number;
  recipient: number;
  recipientEncryptionKey?: Uint8Array;
  statement: Uint8Array;
  ref: number;
  eseed: Uint8Array;
  error: string;
};
type AcceptCase = {
  name: string;
  why: string;
  op: 'accept';
  recipient: number;
  sender: number;
  senderEncryptionKey?: Uint8Array;
  epoch: number;
  ref: number;
  ciphertext: Uint8Array;
  error: string;
};

function withKey(card: DevicePublic, encryptionKey: Uint8Array | undefined): DevicePublic {
  return encryptionKey === undefined ? card : { ...card, encryptionKey };
}

function runCase(devs: Device[], c: EstablishCase | AcceptCase): string | null {
  if (c.op === 'establish') {
    return outcome(() => devs[c.sender]!.establishPairKey(withKey(devs[c.recipient]!.public, c.recipientEncryptionKey), decodeKeyStatement(c.statement), c.ref, c.eseed));
  }
  return outcome(() => devs[c.recipient]!.acceptPairKey(withKey(devs[c.sender]!.public, c.senderEncryptionKey), c.epoch, c.ref, c.ciphertext));
}

/** pairkeys.json: `keys` (from shared.makePairKeys) with every intermediate, and the must-fail cases. */
export async function pairkeysVectors(
  set: DeviceSet,
  suite: CryptoProvider,
  keys: PairKeyFixture[][],
  invalidStatements: Record<string, Uint8Array>,
): Promise<{ json: object; later: PairKeyFixture }> {
  const devs = withRotated(set, 'sodium');
  const seedOf = (i: number) => (i === 6 ? set.epochSeeds[PHONE]! : set.epochSeeds[i]!);

  const pairVector = (k: PairKeyFixture, S: Device, R: Device, rSeed: Uint8Array, rBackends: Record<BackendName, Device>) => {
    const statement = k.epoch === 0 ? R.epochs.current!.statement : R.epochs.get(k.epoch)!.statement;
    const kem = suite.xwingEncapsulate(statement.publicKey, k.eseed)!;
    sameBytes(kem.ciphertext, k.ciphertext, 'X-Wing ciphertext');
    const dh = suite.x25519(S.exportSecrets().subarray(33), R.public.encryptionKey)!;
    const message = pairKeyMessage({ sender: S.public, recipient: R.public, epoch: k.epoch, ref: k.ref, ciphertext: k.ciphertext });
    sameBytes(suite.blake2b(32, message, concatBytes(dh, kem.sharedSecret)), k.kek, 'kek construction');
    for (const b of BACKENDS) {
      const s = rBackends[b].suite;
      sameBytes(s.xwingDecapsulate(k.ciphertext, rSeed)!, kem.sharedSecret, `X-Wing shared secret on ${b}`);
      sameBytes(s.x25519(R.exportSecrets().subarray(33), S.public.encryptionKey)!, dh, `X25519 from the reading side on ${b}`);
      sameBytes(s.blake2b(32, message, concatBytes(dh, kem.sharedSecret)), k.kek, `kek construction on ${b}`);
    }
    check(message.length === 1250, 'the KDF message is 1250 bytes');
    return {
      sender: k.sender,
      recipient: k.recipient,
      epoch: k.epoch,
      ref: k.ref,
      eseed: hex(k.eseed),
      ciphertext: hex(k.ciphertext),
      xwingSharedSecret: hex(kem.sharedSecret),
      x25519SharedSecret: hex(dh),
      kdfMessage: hex(message),
      kek: hex(k.kek),
    };
  };

  const pairs = keys.flat().map((k) =>
    pairVector(k, devs[k.sender]!, devs[k.recipient]!, seedOf(k.recipient), {
      sodium: withRotated(set, 'sodium')[k.recipient]!,
      noble: withRotated(set, 'noble')[k.recipient]!,
    }),
  );

  // The phone begins epoch 1 at its log position 2 and establishes a pair key toward itself there.
  const phone1: Record<BackendName, Device> = { sodium: await phoneAtEpoch1(set, suite, 'sodium'), noble: await phoneAtEpoch1(set, suite, 'noble') };
  const laterEseed = pairEseed(suite, PHONE, PHONE, 1);
  const statement1 = phone1.sodium.epochs.get(1)!.statement;
  const later = phone1.sodium.establishPairKey(phone1.sodium.public, statement1, 2, laterEseed);
  for (const b of BACKENDS) {
    const again = phone1[b].establishPairKey(phone1[b].public, phone1[b].epochs.get(1)!.statement, 2, laterEseed);
    sameBytes(again.key, later.key, `later pair key on ${b}`);
    sameBytes(phone1[b].acceptPairKey(phone1[b].public, 1, 2, later.ciphertext), later.key, `later pair key accepted on ${b}`);
    check(outcome(() => withRotated(set, b)[PHONE]!.acceptPairKey(phone1[b].public, 1, 2, later.ciphertext)) === 'EPOCH_KEY_UNKNOWN', `epoch 1 unknown at epoch 0 on ${b}`);
  }
  const laterFixture: PairKeyFixture = { sender: PHONE, recipient: PHONE, epoch: 1, ref: 2, eseed: laterEseed, ciphertext: later.ciphertext, kek: later.key };
  const laterEpochs = [pairVector(laterFixture, phone1.sodium, phone1.sodium, phoneEpoch1Seed(suite), phone1)];

  // What the laptop derives from the phone's ciphertext with one ML-KEM byte flipped: ML-KEM's
  // implicit rejection gives a secret on both backends, and the key differs from the real one.
  const phoneToLaptop = keys[PHONE]![LAPTOP]!;
  const implicitRejection = [0, 500, 1087].map((at) => {
    const ct = flip(phoneToLaptop.ciphertext, at);
    const kek = devs[LAPTOP]!.acceptPairKey(devs[PHONE]!.public, 0, phoneToLaptop.ref, ct);
    check(hex(kek) !== hex(phoneToLaptop.kek), 'a tampered ML-KEM part changes the key');
    for (const b of BACKENDS) {
      const d = withRotated(set, b);
      sameBytes(d[LAPTOP]!.acceptPairKey(d[PHONE]!.public, 0, phoneToLaptop.ref, ct), kek, `implicit rejection on ${b}`);
    }
    return {
      name: `ciphertext byte ${at} flipped (ML-KEM part)`,
      sender: PHONE,
      recipient: LAPTOP,
      epoch: 0,
      ref: phoneToLaptop.ref,
      ciphertext: hex(ct),
      xwingSharedSecret: hex(suite.xwingDecapsulate(ct, seedOf(LAPTOP))!),
      kek: hex(kek),
    };
  });

  const laptopStatement = devs[LAPTOP]!.epochs.current!.statement.bytes;
  const ref = PAIR_REFS[PHONE];
  const eseed = phoneToLaptop.eseed;
  const ct = phoneToLaptop.ciphertext;
  const lowOrder: Array<EstablishCase | AcceptCase> = LOW_ORDER_POINTS.flatMap((p) => [
    {
      name: `establishing toward a card whose static key is ${p.name}`,
      why: 'dh is all zero',
      op: 'establish' as const,
      sender: PHONE,
      recipient: LAPTOP,
      recipientEncryptionKey: fromHex(p.u),
      statement: laptopStatement,
      ref,
      eseed,
      error: 'PEER_KEY_INVALID',
    },
    {
      name: `accepting from a card whose static key is ${p.name}`,
      why: 'dh is all zero',
      op: 'accept' as const,
      recipient: LAPTOP,
      sender: PHONE,
      senderEncryptionKey: fromHex(p.u),
      epoch: 0,
      ref,
      ciphertext: ct,
      error: 'PEER_KEY_INVALID',
    },
    {
      name: `a ciphertext whose X25519 part is ${p.name}`,
      why: 'X-Wing decapsulation refuses a low-order ephemeral key',
      op: 'accept' as const,
      recipient: LAPTOP,
      sender: PHONE,
      epoch: 0,
      ref,
      ciphertext: concatBytes(ct.subarray(0, CT_X25519_AT), fromHex(p.u)),
      error: 'PEER_KEY_INVALID',
    },
  ]);
  const invalid: Array<EstablishCase | AcceptCase> = [
    ...lowOrder,
    { name: 'accepting for epoch 1, which the laptop never had', why: 'the laptop keeps epoch 0 only', op: 'accept', recipient: LAPTOP, sender: PHONE, epoch: 1, ref, ciphertext: ct, error: 'EPOCH_KEY_UNKNOWN' },
    { name: 'accepting for epoch 2^32 − 1', why: 'in range, not kept', op: 'accept', recipient: LAPTOP, sender: PHONE, epoch: 0xffff_ffff, ref, ciphertext: ct, error: 'EPOCH_KEY_UNKNOWN' },
    {
      name: 'an unknown epoch and a low-order ciphertext',
      why: 'the epoch is looked up before decapsulating',
      op: 'accept',
      recipient: LAPTOP,
      sender: PHONE,
      epoch: 1,
      ref,
      ciphertext: concatBytes(ct.subarray(0, CT_X25519_AT), new Uint8Array(32)),
      error: 'EPOCH_KEY_UNKNOWN',
    },
    { name: 'accepting for epoch 2^32', why: 'an epoch is a u32', op: 'accept', recipient: LAPTOP, sender: PHONE, epoch: 2 ** 32, ref, ciphertext: ct, error: 'PAIR_KEY_INPUT_INVALID' },
    { name: 'accepting for epoch −1', why: 'an epoch is a u32', op: 'accept', recipient: LAPTOP, sender: PHONE, epoch: -1, ref, ciphertext: ct, error: 'PAIR_KEY_INPUT_INVALID' },
    { name: 'accepting under ref 0', why: 'a ref is a log position, 1..2^32−1', op: 'accept', recipient: LAPTOP, sender: PHONE, epoch: 0, ref: 0, ciphertext: ct, error: 'PAIR_KEY_INPUT_INVALID' },
    { name: 'accepting under ref 2^32', why: 'a ref is a u32', op: 'accept', recipient: LAPTOP, sender: PHONE, epoch: 0, ref: 2 ** 32, ciphertext: ct, error: 'PAIR_KEY_INPUT_INVALID' },
    { name: 'ref 0 and an unknown epoch', why: 'the inputs are checked before the epoch is looked up', op: 'accept', recipient: LAPTOP, sender: PHONE, epoch: 1, ref: 0, ciphertext: ct, error: 'PAIR_KEY_INPUT_INVALID' },
    { name: 'a ciphertext one byte short', why: 'an X-Wing ciphertext is 1120 bytes', op: 'accept', recipient: LAPTOP, sender: PHONE, epoch: 0, ref, ciphertext: ct.subarray(0, 1119), error: 'PAIR_KEY_INPUT_INVALID' },
    { name: 'a ciphertext one byte long', why: 'an X-Wing ciphertext is 1120 bytes', op: 'accept', recipient: LAPTOP, sender: PHONE, epoch: 0, ref, ciphertext: concatBytes(ct, new Uint8Array(1)), error: 'PAIR_KEY_INPUT_INVALID' },
    { name: 'establishing under ref 0', why: 'a ref is a log position, 1..2^32−1', op: 'establish', sender: PHONE, recipient: LAPTOP, statement: laptopStatement, ref: 0, eseed, error: 'PAIR_KEY_INPUT_INVALID' },
    { name: 'establishing under ref 2^32', why: 'a ref is a u32', op: 'establish', sender: PHONE, recipient: LAPTOP, statement: laptopStatement, ref: 2 ** 32, eseed, error: 'PAIR_KEY_INPUT_INVALID' },
    {
      name: 'ref 0 toward a statement no backend encapsulates to',
      why: 'the inputs are checked before encapsulating',
      op: 'establish',
      sender: LAPTOP,
      recipient: PHONE,
      statement: Object.values(invalidStatements)[0]!,
      ref: 0,
      eseed: keys[LAPTOP]![PHONE]!.eseed,
      error: 'PAIR_KEY_INPUT_INVALID',
    },
    { name: 'a 63-byte eseed', why: 'X-Wing encapsulation takes 64 bytes', op: 'establish', sender: PHONE, recipient: LAPTOP, statement: laptopStatement, ref, eseed: eseed.subarray(0, 63), error: 'PAIR_KEY_INPUT_INVALID' },
    {
      name: "the tablet's statement for the laptop's card",
      why: 'a statement must name the card it is used with',
      op: 'establish',
      sender: PHONE,
      recipient: LAPTOP,
      statement: devs[TABLET]!.epochs.current!.statement.bytes,
      ref,
      eseed,
      error: 'PAIR_KEY_INPUT_INVALID',
    },
    ...Object.entries(invalidStatements).map(([name, statement]) => ({
      name: `establishing toward a statement whose ${name}`,
      why: 'neither backend encapsulates to it (devices.json refuses the statement itself with KEY_STATEMENT_KEY_INVALID)',
      op: 'establish' as const,
      sender: LAPTOP,
      recipient: PHONE,
      statement,
      ref: PAIR_REFS[LAPTOP],
      eseed: keys[LAPTOP]![PHONE]!.eseed,
      error: 'PEER_KEY_INVALID',
    })),
  ];
  for (const c of invalid) {
    for (const b of BACKENDS) {
      const got = runCase(withRotated(set, b), c);
      check(got === c.error, `pair-key must-fail "${c.name}" on ${b}: expected ${c.error}, got ${got}`);
    }
  }
  const caseJson = (c: EstablishCase | AcceptCase) =>
    Object.fromEntries(Object.entries(c).map(([k, v]) => [k, v instanceof Uint8Array ? hex(v) : v]));

  const json = {
    description:
      'Pair keys kek(S→R, ref) for every ordered pair of the seven devices of devices.json (self-pairs included). S ' +
      'encapsulates to R\'s key statement for `epoch` (devices.json → keyStatement) with the 64 bytes `eseed`: ' +
      '(ciphertext, xwingSharedSecret) = X-Wing.EncapsulateDerand(statement key, eseed); R recovers xwingSharedSecret with ' +
      'X-Wing.Decapsulate(ciphertext, R.xwingSeed). x25519SharedSecret = X25519(S.encryptionSecret, R.encryptionKey) = ' +
      'X25519(R.encryptionSecret, S.encryptionKey). kdfMessage = len(label) ‖ label ‖ S.id ‖ R.id ‖ S.encryptionKey ‖ ' +
      'R.encryptionKey ‖ u32(epoch) ‖ u32(ref) ‖ ciphertext (1250 bytes); kek = BLAKE2b-256(key = x25519SharedSecret ‖ ' +
      'xwingSharedSecret, message = kdfMessage). Each sender uses one ref (`refs`, by sender index). `laterEpochs`: the phone ' +
      'toward its own epoch 1 (devices.json → laterStatements) at ref 2, published in logs.json\'s second checkpoint. ' +
      '`implicitRejection`: ciphertexts with a flipped ML-KEM byte, which R decapsulates without error to another secret, ' +
      'and the kek it then derives (it opens nothing). `invalid`: op "establish" (S.establishPairKey(card of `recipient`, ' +
      'with its encryption key replaced by recipientEncryptionKey when given, statement, ref, eseed)) or op "accept" ' +
      '(R.acceptPairKey(card of `sender`, with senderEncryptionKey when given, epoch, ref, ciphertext)), each with its error. ' +
      'See docs/protocol.md §4.',
    version: 1,
    label: { text: LABELS.pairKey, prefix: hex(labelled(LABELS.pairKey)) },
    refs: ALL_DEVICE_NAMES.map((name, i) => ({ device: i, name, ref: PAIR_REFS[i] })),
    pairs,
    laterEpochs,
    implicitRejection,
    lowOrderPoints: LOW_ORDER_POINTS,
    invalid: invalid.map(caseJson),
  };
  return { json, later: laterFixture };
}
