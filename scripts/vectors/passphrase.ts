/** docs/protocol.md §3.3 → passphrase.json: device secrets sealed under a passphrase, and how
 * opening them must end (wrong passphrase, tampering, malformed blobs, out-of-bounds cost).
 */
import { fromHex, utf8 } from '../../src/crypto/bytes.js';
import type { Argon2Params, CryptoProvider } from '../../src/crypto/provider.js';
import { openSecretsWithPassphrase } from '../../src/core/passphraseBlob.js';
import { BACKENDS, check, drbg, flip, hex, LAPTOP, outcomeAsync, PHONE, recording, replay, sameBytes, TABLET, withByte, type DeviceSet } from './shared.js';

const FAST_ARGON: Argon2Params = { opsLimit: 1, memLimitBytes: 8 * 1024 * 1024 };

export async function passphraseVectors(set: DeviceSet, suite: CryptoProvider): Promise<object> {
  const specs: Array<{ name: string; device: number; passphrase: string | Uint8Array }> = [
    { name: 'ASCII passphrase', device: PHONE, passphrase: 'correct horse battery staple' },
    {
      name: 'passphrase that NFKC changes (fullwidth letters, ANGSTROM SIGN, ligature)',
      device: LAPTOP,
      passphrase: '\uff50\uff41\uff53\uff53 \u212b \ufb01ne',
    },
    { name: 'byte passphrase (used as given, not normalised)', device: TABLET, passphrase: fromHex('00ff10e2a9') },
  ];
  const cases = [];
  for (const [i, spec] of specs.entries()) {
    const d = set.byBackend.sodium[spec.device]!;
    const rec = recording(drbg(suite, `passphrase/${i}`));
    const blob = await d.exportWithPassphrase(spec.passphrase, FAST_ARGON, rec.random);
    const drawn = rec.drawn();
    const passBytes = typeof spec.passphrase === 'string' ? utf8(spec.passphrase.normalize('NFKC')) : spec.passphrase;
    const key = await suite.argon2id(passBytes, drawn.subarray(0, 16), FAST_ARGON, 32);
    for (const b of BACKENDS) {
      const bd = set.byBackend[b][spec.device]!;
      sameBytes(await bd.exportWithPassphrase(spec.passphrase, FAST_ARGON, replay(drawn)), blob, `blob "${spec.name}" on ${b}`);
      sameBytes(await openSecretsWithPassphrase(bd.suite, blob, spec.passphrase), d.exportSecrets(), `open blob on ${b}`);
    }
    cases.push({
      name: spec.name,
      device: spec.device,
      ...(typeof spec.passphrase === 'string' ? { passphrase: spec.passphrase } : { passphraseHex: hex(spec.passphrase) }),
      passphraseBytes: hex(passBytes),
      opsLimit: FAST_ARGON.opsLimit,
      memLimitBytes: FAST_ARGON.memLimitBytes,
      memKiB: FAST_ARGON.memLimitBytes / 1024,
      salt: hex(drawn.subarray(0, 16)),
      nonce: hex(drawn.subarray(16, 40)),
      random: hex(drawn),
      argon2Key: hex(key),
      header: hex(blob.subarray(0, 54)),
      blob: hex(blob),
      secrets: hex(d.exportSecrets()),
    });
  }
  const blob = fromHex(cases[0]!.blob);
  const greedy = blob.slice();
  new DataView(greedy.buffer).setUint32(10, 2 * 1024 * 1024); // 2 GiB
  const tooFewKiB = blob.slice();
  new DataView(tooFewKiB.buffer).setUint32(10, 8191);
  const tooManyPasses = blob.slice();
  new DataView(tooManyPasses.buffer).setUint32(6, 17);
  const zeroPasses = blob.slice();
  new DataView(zeroPasses.buffer).setUint32(6, 0);
  const wrong = [
    { name: 'wrong passphrase', blob: hex(blob), passphrase: 'correct horse battery stapler', error: 'PASSPHRASE_WRONG' },
    {
      name: 'NFKC-equivalent spelling of case 1 opens it',
      blob: cases[1]!.blob,
      passphrase: 'pass \u00c5 fine',
      error: null,
    },
    { name: 'salt byte flipped', blob: hex(flip(blob, 20)), passphrase: 'correct horse battery staple', error: 'PASSPHRASE_WRONG' },
    { name: 'header cost byte flipped (t = 1 → 3)', blob: hex(withByte(blob, 9, 3)), passphrase: 'correct horse battery staple', error: 'PASSPHRASE_WRONG' },
    { name: 'sealed-secrets byte flipped', blob: hex(flip(blob, 100)), passphrase: 'correct horse battery staple', error: 'PASSPHRASE_WRONG' },
    { name: 'one byte short', blob: hex(blob.subarray(0, 134)), passphrase: 'correct horse battery staple', error: 'PASSPHRASE_BLOB_MALFORMED' },
    { name: 'bad magic', blob: hex(withByte(blob, 0, 0x4d)), passphrase: 'correct horse battery staple', error: 'PASSPHRASE_BLOB_MALFORMED' },
    { name: 'version 2', blob: hex(withByte(blob, 4, 2)), passphrase: 'correct horse battery staple', error: 'PASSPHRASE_BLOB_MALFORMED' },
    { name: 'algorithm 2', blob: hex(withByte(blob, 5, 2)), passphrase: 'correct horse battery staple', error: 'PASSPHRASE_BLOB_MALFORMED' },
    { name: 'memory 2 GiB (over 1 GiB bound)', blob: hex(greedy), passphrase: 'correct horse battery staple', error: 'PASSPHRASE_BLOB_MALFORMED' },
    { name: 'memory 8191 KiB (under 8 MiB bound)', blob: hex(tooFewKiB), passphrase: 'correct horse battery staple', error: 'PASSPHRASE_BLOB_MALFORMED' },
    { name: '17 passes (over bound)', blob: hex(tooManyPasses), passphrase: 'correct horse battery staple', error: 'PASSPHRASE_BLOB_MALFORMED' },
    { name: '0 passes', blob: hex(zeroPasses), passphrase: 'correct horse battery staple', error: 'PASSPHRASE_BLOB_MALFORMED' },
    { name: 'empty passphrase', blob: hex(blob), passphrase: '', error: 'PASSPHRASE_EMPTY' },
  ];
  for (const c of wrong) {
    for (const b of BACKENDS) {
      const s = set.byBackend[b][0]!.suite;
      const got = await outcomeAsync(() => openSecretsWithPassphrase(s, fromHex(c.blob), c.passphrase));
      check(got === (c.error ?? 'ok'), `passphrase case "${c.name}" on ${b}: ${got}`);
    }
  }
  return {
    description:
      'Device secrets sealed under a passphrase (135-byte blob). Argon2id v1.3, one lane, 32-byte output, ' +
      'libsodium crypto_pwhash(32, passphraseBytes, salt, opsLimit, memLimitBytes, ARGON2ID13) = RFC 9106 with ' +
      't = opsLimit, m = memKiB, p = 1, no secret, no associated data. String passphrases are NFKC-normalised then ' +
      'UTF-8 encoded; byte passphrases are used as given. The AEAD is XChaCha20-Poly1305 (key = argon2Key, nonce, ' +
      'aad = header = blob[0..54]). `random` = salt ‖ nonce, the bytes the seal drew. Vectors use the smallest ' +
      'accepted cost (t = 1, m = 8 MiB); real blobs default to t = 3, m = 64 MiB. In `open`, error null means ' +
      'it opens. See docs/protocol.md §3.3.',
    version: 1,
    cases,
    open: wrong,
  };
}
