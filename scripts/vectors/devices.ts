/** docs/protocol.md §3 → devices.json: device keys, ids, bindings, cards and secrets, the core
 * labels, a labelled signature, and cards and secrets that must be refused.
 */
import { concatBytes, fromHex, utf8 } from '../../src/crypto/bytes.js';
import { labelled } from '../../src/crypto/kdf.js';
import { LABELS } from '../../src/crypto/labels.js';
import type { CryptoProvider } from '../../src/crypto/provider.js';
import { Device } from '../../src/core/device.js';
import { bindingMessage, decodeDevicePublic, encodeDevicePublic } from '../../src/core/devicePublic.js';
import { BACKENDS, check, DEVICE_NAMES, hex, LAPTOP, outcome, PHONE, sameBytes, withByte, type DeviceSet, type LowOrderCard } from './shared.js';

/** The labels of the core layer, which these vectors and docs/protocol.md cover. */
const CORE_LABELS = ['deviceId', 'encryptionKeyBinding', 'pairwiseKey', 'envelopeHash', 'grantNonce'] as const;

function deviceVector(d: Device, name: string) {
  const secrets = d.exportSecrets();
  return {
    name,
    identitySeed: hex(secrets.subarray(1, 33)),
    encryptionSecret: hex(secrets.subarray(33, 65)),
    identityKey: hex(d.public.identityKey),
    encryptionKey: hex(d.public.encryptionKey),
    deviceIdInput: hex(labelled(LABELS.deviceId, d.public.identityKey)),
    deviceId: hex(d.id),
    bindingMessage: hex(bindingMessage(d.public.identityKey, d.public.encryptionKey)),
    binding: hex(d.public.binding),
    card: hex(encodeDevicePublic(d.public)),
    secrets: hex(secrets),
  };
}

/** devices.json: the six devices of `set`, then its rotated phone (#6). */
export function devicesVectors(set: DeviceSet, suite: CryptoProvider, low: LowOrderCard): object {
  const devices = set.byBackend.sodium.map((d, i) => deviceVector(d, DEVICE_NAMES[i]!));
  devices.forEach((v, i) => sameBytes(fromHex(v.identitySeed + v.encryptionSecret), set.drawn[i]!, 'generate() draws seed then secret'));
  devices.push(deviceVector(set.rotated.sodium, 'phone-rotated'));

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
      'Device keys, ids, bindings, cards (129 bytes) and secrets (65 bytes). Device.generate draws 32 random bytes for the ' +
      'Ed25519 identity seed, then 32 for the X25519 encryption secret (stored unclamped; X25519 clamps). ' +
      'deviceId = BLAKE2b-128(deviceIdInput), deviceIdInput = len(label) ‖ label ‖ identityKey; ' +
      'binding = Ed25519(identity seed, bindingMessage). `specialCards` holds correctly signed cards that must still be refused. ' +
      'A card is decoded in this order: length and version (DEVICE_CARD_MALFORMED), the binding (DEVICE_BINDING_INVALID), then the ' +
      'encryption key\'s order (DEVICE_KEY_LOW_ORDER). `signatures` are Device.sign examples under an app label; `reservedLabels` ' +
      'must be refused (LABEL_RESERVED). ' +
      'See docs/protocol.md §3.',
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
  };
}
