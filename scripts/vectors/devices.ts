/** docs/protocol.md §3 and §24.1 → devices.json: device keys, ids, bindings, cards and secrets, each
 * device's epoch-0 key statement, the core labels, a labelled signature, and cards, secrets and key
 * statements that must be refused.
 */
import { concatBytes, fromHex, utf8 } from '../../src/crypto/bytes.js';
import { labelled } from '../../src/crypto/kdf.js';
import { LABELS } from '../../src/crypto/labels.js';
import type { CryptoProvider } from '../../src/crypto/provider.js';
import { Device, signAsProtocol } from '../../src/core/device.js';
import { bindingMessage, decodeDevicePublic, encodeDevicePublic } from '../../src/core/devicePublic.js';
import { decodeKeyStatement, KEY_STATEMENT_BYTES, makeKeyStatement, verifyKeyStatement, type KeyStatement } from '../../src/core/keyStatement.js';
import {
  BACKENDS,
  check,
  drbg,
  flip,
  hex,
  LAPTOP,
  outcome,
  PHONE,
  sameBytes,
  withByte,
  withRotated,
  ALL_DEVICE_NAMES,
  type DeviceSet,
  type LowOrderCard,
} from './shared.js';

/** The labels of the core layer (docs/protocol.md §2's first table). */
const CORE_LABELS = [
  'deviceId',
  'encryptionKeyBinding',
  'pairKey',
  'keyCommitment',
  'envelopeHashV2',
  'grantNonceV2',
  'logCheckpoint',
  'logCheckpointHash',
  'keyRing',
  'keyStatement',
] as const;

const SIGNED_STATEMENT_BYTES = KEY_STATEMENT_BYTES - 64;
/** Where the X25519 part of an X-Wing public key starts (after ML-KEM-768's 1184 bytes). */
const XWING_X25519_AT = 1184;

function statementVector(s: KeyStatement) {
  return {
    epoch: s.epoch,
    xwingPublicKey: hex(s.publicKey),
    signedBytes: hex(labelled(LABELS.keyStatement, s.bytes.subarray(0, SIGNED_STATEMENT_BYTES))),
    signature: hex(s.signature),
    statement: hex(s.bytes),
  };
}

/** A statement of `device` carrying `publicKey` under a valid signature (whatever the key). */
function signedStatement(device: Device, epoch: number, publicKey: Uint8Array): Uint8Array {
  const out = new Uint8Array(KEY_STATEMENT_BYTES);
  out[0] = 0x01;
  out.set(device.id, 1);
  new DataView(out.buffer).setUint32(17, epoch);
  out.set(publicKey, 21);
  out.set(signAsProtocol(device, LABELS.keyStatement, out.subarray(0, SIGNED_STATEMENT_BYTES)), SIGNED_STATEMENT_BYTES);
  return out;
}

/**
 * Correctly signed epoch-0 statements of `device` whose key no backend encapsulates to: the first
 * 12-bit coefficient of the ML-KEM part set to q = 3329 (FIPS 203's modulus check), or the X25519
 * part replaced by a low-order point.
 */
export function unusableStatements(device: Device): Record<string, Uint8Array> {
  const key = device.epochs.current!.statement.publicKey;
  const overQ = key.slice();
  overQ[0] = 0x01;
  overQ[1] = (overQ[1]! & 0xf0) | 0x0d;
  const lowX = key.slice();
  lowX.set(new Uint8Array(32), XWING_X25519_AT);
  const lowXOne = lowX.slice();
  lowXOne[XWING_X25519_AT] = 1;
  return {
    'ML-KEM coefficient equals q': signedStatement(device, 0, overQ),
    'X25519 part is u = 0': signedStatement(device, 0, lowX),
    'X25519 part is u = 1': signedStatement(device, 0, lowXOne),
  };
}

function deviceVector(d: Device, name: string, xwingSeed: Uint8Array) {
  const secrets = d.exportSecrets();
  const statement = d.epochs.current!.statement;
  return {
    name,
    random: hex(concatBytes(secrets.subarray(1, 65), xwingSeed)),
    identitySeed: hex(secrets.subarray(1, 33)),
    encryptionSecret: hex(secrets.subarray(33, 65)),
    xwingSeed: hex(xwingSeed),
    identityKey: hex(d.public.identityKey),
    encryptionKey: hex(d.public.encryptionKey),
    deviceIdInput: hex(labelled(LABELS.deviceId, d.public.identityKey)),
    deviceId: hex(d.id),
    bindingMessage: hex(bindingMessage(d.public.identityKey, d.public.encryptionKey)),
    binding: hex(d.public.binding),
    card: hex(encodeDevicePublic(d.public)),
    secrets: hex(secrets),
    keyStatement: statementVector(statement),
  };
}

/** devices.json: the six devices of `set`, then its rotated phone (#6). */
export function devicesVectors(set: DeviceSet, suite: CryptoProvider, low: LowOrderCard): object {
  // The rotated phone keeps the phone's identity and therefore its epochs (§3.1, §24).
  const seeds = [...set.epochSeeds, set.epochSeeds[PHONE]!];
  const devices = withRotated(set, 'sodium').map((d, i) => deviceVector(d, ALL_DEVICE_NAMES[i]!, seeds[i]!));
  devices.slice(0, 6).forEach((v, i) => sameBytes(fromHex(v.identitySeed + v.encryptionSecret), set.drawn[i]!, 'generate() draws seed then secret'));
  withRotated(set, 'sodium').forEach((d, i) => {
    const again = makeKeyStatement(d, 0, seeds[i]!);
    sameBytes(again.bytes, d.epochs.current!.statement.bytes, `${ALL_DEVICE_NAMES[i]}'s epoch-0 statement from its third draw`);
    for (const b of BACKENDS) {
      const other = withRotated(set, b)[i]!;
      sameBytes(other.epochs.current!.statement.bytes, again.bytes, `${ALL_DEVICE_NAMES[i]}'s statement on ${b}`);
      verifyKeyStatement(other.suite, decodeKeyStatement(again.bytes), other.public);
    }
  });

  // A later epoch: the phone's epoch 1, which logs.json's second checkpoint publishes.
  const phoneEpoch1Seed = drbg(suite, 'device/phone/epoch-1')(32);
  const phoneEpoch1 = makeKeyStatement(set.byBackend.sodium[PHONE]!, 1, phoneEpoch1Seed);
  for (const b of BACKENDS) {
    sameBytes(makeKeyStatement(set.byBackend[b][PHONE]!, 1, phoneEpoch1Seed).bytes, phoneEpoch1.bytes, `phone epoch 1 on ${b}`);
  }
  const laterStatements = [{ device: PHONE, xwingSeed: hex(phoneEpoch1Seed), ...statementVector(phoneEpoch1) }];

  // Statements that must be refused, checked against the card of `card`.
  const phoneDevice = set.byBackend.sodium[PHONE]!;
  const phoneStatement = phoneDevice.epochs.current!.statement;
  const unusable = unusableStatements(phoneDevice);
  const otherId = phoneStatement.bytes.slice();
  otherId.set(set.byBackend.sodium[LAPTOP]!.id, 1);
  const invalidStatements = [
    { name: "the phone's statement checked against the laptop's card", why: 'it names another device', statement: phoneStatement.bytes, card: LAPTOP, error: 'KEY_STATEMENT_INVALID' },
    { name: "the laptop's id written into the phone's statement", why: 'the id matches the card, the signature (by the phone, over the phone\'s id) does not verify', statement: otherId, card: LAPTOP, error: 'KEY_STATEMENT_INVALID' },
    { name: 'last signature byte flipped', why: 'the signature does not verify', statement: flip(phoneStatement.bytes, KEY_STATEMENT_BYTES - 1), card: PHONE, error: 'KEY_STATEMENT_INVALID' },
    { name: 'epoch changed to 1 under the epoch-0 signature', why: 'the epoch is signed', statement: withByte(phoneStatement.bytes, 20, 1), card: PHONE, error: 'KEY_STATEMENT_INVALID' },
    { name: 'ML-KEM coefficient equal to q, correctly signed', why: 'FIPS 203 modulus check: every 12-bit coefficient of the first 1152 key bytes is below 3329', statement: unusable['ML-KEM coefficient equals q']!, card: PHONE, error: 'KEY_STATEMENT_KEY_INVALID' },
    { name: 'X25519 part u = 0, correctly signed', why: 'a low-order point', statement: unusable['X25519 part is u = 0']!, card: PHONE, error: 'KEY_STATEMENT_KEY_INVALID' },
    { name: 'X25519 part u = 1, correctly signed', why: 'a low-order point', statement: unusable['X25519 part is u = 1']!, card: PHONE, error: 'KEY_STATEMENT_KEY_INVALID' },
    { name: 'ML-KEM coefficient equal to q under a broken signature', why: 'the signature is checked before the key', statement: flip(unusable['ML-KEM coefficient equals q']!, KEY_STATEMENT_BYTES - 1), card: PHONE, error: 'KEY_STATEMENT_INVALID' },
    { name: 'one byte short', why: 'a statement is 1301 bytes', statement: phoneStatement.bytes.subarray(0, KEY_STATEMENT_BYTES - 1), card: PHONE, error: 'KEY_STATEMENT_MALFORMED' },
    { name: 'one byte long', why: 'a statement is 1301 bytes', statement: concatBytes(phoneStatement.bytes, new Uint8Array(1)), card: PHONE, error: 'KEY_STATEMENT_MALFORMED' },
    { name: 'version 2', why: 'byte 0 is 0x01', statement: withByte(phoneStatement.bytes, 0, 2), card: PHONE, error: 'KEY_STATEMENT_MALFORMED' },
  ];
  for (const c of invalidStatements) {
    for (const b of BACKENDS) {
      const devs = withRotated(set, b);
      const got = outcome(() => verifyKeyStatement(devs[0]!.suite, decodeKeyStatement(c.statement), devs[c.card]!.public));
      check(got === c.error, `statement "${c.name}" on ${b}: ${got}`);
      if (c.error === 'KEY_STATEMENT_KEY_INVALID') {
        // What pair keys would meet: neither backend encapsulates to such a key.
        check(devs[0]!.suite.xwingEncapsulate(decodeKeyStatement(c.statement).publicKey, new Uint8Array(64)) === null, `no encapsulation to "${c.name}" on ${b}`);
      }
    }
  }

  const phone = set.byBackend.sodium[PHONE]!;
  // An app's own label: Device.sign refuses the protocol's prefix (reservedLabels below).
  const signLabel = 'org.example.notes/v1/vector-example';
  const signMessage = utf8('a labelled signature');
  const signatures = [
    {
      device: PHONE,
      label: signLabel,
      message: hex(signMessage),
      signedBytes: hex(labelled(signLabel, signMessage)),
      signature: hex(phone.sign(signLabel, signMessage)),
    },
  ];

  const reservedLabels = ['multikey-sync/v1/chain-entry', 'multikey-sync/v1/request', 'multikey-sync/v2/key-statement', 'multikey-sync/'].map(
    (label) => ({ label, error: 'LABEL_RESERVED' }),
  );
  for (const r of reservedLabels) check(outcome(() => phone.sign(r.label, signMessage)) === r.error, `reserved label ${r.label}`);

  const goodCard = encodeDevicePublic(phone.public);
  const swapped = goodCard.slice();
  swapped.set(set.byBackend.sodium[LAPTOP]!.public.encryptionKey, 33);
  const badSig = goodCard.slice();
  badSig[128]! ^= 0x01;
  const badVersion = goodCard.slice();
  badVersion[0] = 0x02;
  const invalidCards = [
    { name: 'one byte short', card: hex(goodCard.subarray(0, 128)), error: 'DEVICE_CARD_MALFORMED' },
    { name: 'one byte long', card: hex(concatBytes(goodCard, new Uint8Array(1))), error: 'DEVICE_CARD_MALFORMED' },
    { name: 'card version 2', card: hex(badVersion), error: 'DEVICE_CARD_MALFORMED' },
    { name: "laptop's encryption key under phone's binding", card: hex(swapped), error: 'DEVICE_BINDING_INVALID' },
    { name: 'last signature byte flipped', card: hex(badSig), error: 'DEVICE_BINDING_INVALID' },
    {
      name: 'low-order encryption key and a broken binding: the binding is checked first',
      card: hex(withByte(low.card, 128, low.card[128]! ^ 0x01)),
      error: 'DEVICE_BINDING_INVALID',
    },
  ];
  for (const c of invalidCards) {
    for (const b of BACKENDS) {
      const s = set.byBackend[b][0]!.suite;
      check(outcome(() => decodeDevicePublic(s, fromHex(c.card))) === c.error, `card "${c.name}" on ${b}`);
    }
  }

  const secrets = phone.exportSecrets();
  const v2 = secrets.slice();
  v2[0] = 2;
  const invalidSecrets = [
    { name: '64 bytes', secrets: hex(secrets.subarray(0, 64)), error: 'DEVICE_SECRETS_MALFORMED' },
    { name: 'version 2', secrets: hex(v2), error: 'DEVICE_SECRETS_MALFORMED' },
  ];
  for (const c of invalidSecrets) {
    check(outcome(() => Device.fromSecretsWith(suite, fromHex(c.secrets))) === c.error, `secrets "${c.name}"`);
  }

  return {
    description:
      'Device keys, ids, bindings, cards (129 bytes), secrets (65 bytes) and epoch-0 key statements (1301 bytes). ' +
      'Device.generate draws `random` in three calls: 32 bytes for the Ed25519 identity seed, 32 for the X25519 encryption ' +
      'secret (stored unclamped; X25519 clamps), then 32 for the X-Wing seed of its key epoch 0 (xwingSeed). ' +
      'The rotated phone (#6) has the phone\'s identity seed and a new encryption secret, and keeps the phone\'s epochs: ' +
      'same xwingSeed, same statement. keyStatement.statement = 0x01 ‖ device id ‖ u32(epoch) ‖ xwingPublicKey ‖ signature, ' +
      'signature = Ed25519(identity seed, signedBytes), signedBytes = len(label) ‖ label ‖ statement[0..1237]. ' +
      '`laterStatements`: a statement of a later epoch with its seed. `invalidStatements`: decoded (KEY_STATEMENT_MALFORMED) ' +
      'then verified against the card of device `card`: id and signature (KEY_STATEMENT_INVALID), then the key ' +
      '(KEY_STATEMENT_KEY_INVALID: an ML-KEM coefficient ≥ q or a low-order X25519 part). ' +
      'deviceId = BLAKE2b-128(deviceIdInput), deviceIdInput = len(label) ‖ label ‖ identityKey; ' +
      'binding = Ed25519(identity seed, bindingMessage). `specialCards` holds correctly signed cards that must still be refused. ' +
      'A card is decoded in this order: length and version (DEVICE_CARD_MALFORMED), the binding (DEVICE_BINDING_INVALID), then the ' +
      'encryption key\'s order (DEVICE_KEY_LOW_ORDER). `signatures` are Device.sign examples under an app label; `reservedLabels` ' +
      'must be refused (LABEL_RESERVED). ' +
      'See docs/protocol.md §3 and §24.1.',
    version: 1,
    labels: Object.fromEntries(CORE_LABELS.map((k) => [k, { text: LABELS[k], prefix: hex(labelled(LABELS[k])) }])),
    devices,
    specialCards: [
      {
        name: 'low-order encryption key',
        note: 'Correctly signed card whose encryption key is the all-zero X25519 point: refused when decoded, since no seal to it could succeed.',
        error: 'DEVICE_KEY_LOW_ORDER',
        identitySeed: hex(low.seed),
        deviceId: hex(low.public.id),
        card: hex(low.card),
      },
    ],
    signatures,
    reservedLabels,
    invalidCards,
    invalidSecrets,
    laterStatements,
    invalidStatements: invalidStatements.map((c) => ({ ...c, statement: hex(c.statement) })),
  };
}
