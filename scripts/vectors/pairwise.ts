/** docs/protocol.md §4 → pairwise.json: the wrap key kek(S→R) for every ordered pair of devices, and
 * low-order peer keys that must be refused.
 */
import { fromHex } from '../../src/crypto/bytes.js';
import { labelled } from '../../src/crypto/kdf.js';
import { LABELS } from '../../src/crypto/labels.js';
import type { DevicePublic } from '../../src/core/devicePublic.js';
import { BACKENDS, check, hex, outcome, PHONE, sameBytes, type DeviceSet } from './shared.js';

/** X25519 u-coordinates that yield the all-zero shared secret for every (clamped) scalar. */
const LOW_ORDER_POINTS: Array<{ name: string; u: string }> = [
  { name: 'u = 0', u: '0000000000000000000000000000000000000000000000000000000000000000' },
  { name: 'u = 1', u: '0100000000000000000000000000000000000000000000000000000000000000' },
  { name: 'order-8 point', u: 'e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800' },
  { name: 'order-8 point', u: '5f9c95bca3508c24b1d0b1559c83ef5b04445cc4581c8e86d8224eddd09f1157' },
  { name: 'u = p - 1', u: 'ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f' },
  { name: 'u = p (non-canonical 0)', u: 'edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f' },
  { name: 'u = p + 1 (non-canonical 1)', u: 'eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f' },
];

function fakePeer(id: Uint8Array, encryptionKey: Uint8Array): DevicePublic {
  return { id, identityKey: new Uint8Array(32), encryptionKey, binding: new Uint8Array(64) };
}

/** pairwise.json: every ordered pair of the six devices of `set` (the rotated phone is left out). */
export function pairwiseVectors(set: DeviceSet): object {
  const devs = set.byBackend.sodium;
  const pairs = [];
  for (let s = 0; s < devs.length; s++) {
    for (let r = 0; r < devs.length; r++) {
      const S = devs[s]!;
      const R = devs[r]!;
      const kek = S.pairwiseKey(R.public, 'to');
      const shared = S.suite.x25519(S.exportSecrets().subarray(33), R.public.encryptionKey)!;
      const kdfMessage = labelled(LABELS.pairwiseKey, S.id, R.id, S.public.encryptionKey, R.public.encryptionKey);
      sameBytes(S.suite.blake2b(32, kdfMessage, shared), kek, 'kek construction');
      sameBytes(R.pairwiseKey(S.public, 'from'), kek, 'kek from the reading side');
      for (const b of BACKENDS) {
        const bs = set.byBackend[b][s]!;
        const br = set.byBackend[b][r]!;
        sameBytes(bs.pairwiseKey(br.public, 'to'), kek, `kek on ${b}`);
        sameBytes(br.pairwiseKey(bs.public, 'from'), kek, `reverse kek on ${b}`);
      }
      pairs.push({ sender: s, recipient: r, sharedSecret: hex(shared), kdfMessage: hex(kdfMessage), kek: hex(kek) });
    }
  }
  const lowOrder = LOW_ORDER_POINTS.map((p) => {
    for (const b of BACKENDS) {
      const d = set.byBackend[b][PHONE]!;
      const peer = fakePeer(new Uint8Array(16).fill(0xee), fromHex(p.u));
      check(outcome(() => d.pairwiseKey(peer, 'to')) === 'PEER_KEY_INVALID', `low-order ${p.u} on ${b}`);
      check(d.suite.x25519(d.exportSecrets().subarray(33), fromHex(p.u)) === null, `x25519 null for ${p.u} on ${b}`);
    }
    return { name: p.name, device: PHONE, peerEncryptionKey: p.u, error: 'PEER_KEY_INVALID' };
  });
  return {
    description:
      'Pairwise wrap keys kek(S→R) for every ordered pair of the devices in devices.json (self-pairs included). ' +
      'sharedSecret = X25519(S.encryptionSecret, R.encryptionKey) = X25519(R.encryptionSecret, S.encryptionKey); ' +
      'kdfMessage = len(label) ‖ label ‖ S.id ‖ R.id ‖ S.encryptionKey ‖ R.encryptionKey; ' +
      'kek = BLAKE2b-256(key = sharedSecret, message = kdfMessage). The sender computes it as pairwiseKey(R, "to"), ' +
      'the recipient as pairwiseKey(S, "from"). kek(S→R) ≠ kek(R→S). `lowOrder`: peer keys that must be refused. ' +
      'See docs/protocol.md §4.',
    version: 1,
    label: LABELS.pairwiseKey,
    pairs,
    lowOrder,
  };
}
