/** docs/protocol.md §3.3 → passphrase.json: device secrets sealed under a passphrase, how
 * opening them must end (wrong passphrase, tampering, malformed blobs, costs at and beyond the
 * bounds, and in which order), and which costs sealing accepts.
 */
import { fromHex, utf8 } from '../../src/crypto/bytes.js';
import type { Argon2Params, CryptoProvider } from '../../src/crypto/provider.js';
import { openSecretsWithPassphrase } from '../../src/core/passphraseBlob.js';
import { BACKENDS, check, drbg, flip, hex, LAPTOP, outcomeAsync, PHONE, recording, replay, sameBytes, TABLET, withByte, type DeviceSet } from './shared.js';

/** OWASP's headline Argon2id minimum (t = 2, m = 19 MiB): the cost of the sealed cases. */
const OWASP_ARGON: Argon2Params = { opsLimit: 2, memLimitBytes: 19_456 * 1024 };
/** The format's floor (t = 1, m = 8 MiB), at which earlier versions sealed: such blobs still open. */
const FLOOR_ARGON: Argon2Params = { opsLimit: 1, memLimitBytes: 8 * 1024 * 1024 };
const MiB = 1024 * 1024;

/** A blob as §3.3 lays it out, built from the primitives (sealing itself refuses the floor cost now). */
async function rawBlob(suite: CryptoProvider, secrets: Uint8Array, passBytes: Uint8Array, params: Argon2Params, random: Uint8Array): Promise<Uint8Array> {
  const blob = new Uint8Array(135);
  blob.set([0x6d, 0x6b, 0x73, 0x64, 0x01, 0x01], 0);
  new DataView(blob.buffer).setUint32(6, params.opsLimit);
  new DataView(blob.buffer).setUint32(10, params.memLimitBytes / 1024);
  blob.set(random, 14);
  const key = await suite.argon2id(passBytes, random.subarray(0, 16), params, 32);
  blob.set(suite.aeadEncrypt(key, random.subarray(16, 40), secrets, blob.subarray(0, 54)), 54);
  return blob;
}

/** `blob` with its cost fields set to `passes` and `memKiB`. */
function withCost(blob: Uint8Array, passes: number, memKiB: number): Uint8Array {
  const out = blob.slice();
  new DataView(out.buffer).setUint32(6, passes);
  new DataView(out.buffer).setUint32(10, memKiB);
  return out;
}

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
    const blob = await d.exportWithPassphrase(spec.passphrase, OWASP_ARGON, rec.random);
    const drawn = rec.drawn();
    const passBytes = typeof spec.passphrase === 'string' ? utf8(spec.passphrase.normalize('NFKC')) : spec.passphrase;
    const key = await suite.argon2id(passBytes, drawn.subarray(0, 16), OWASP_ARGON, 32);
    for (const b of BACKENDS) {
      const bd = set.byBackend[b][spec.device]!;
      sameBytes(await bd.exportWithPassphrase(spec.passphrase, OWASP_ARGON, replay(drawn)), blob, `blob "${spec.name}" on ${b}`);
      sameBytes(await openSecretsWithPassphrase(bd.suite, blob, spec.passphrase), d.exportSecrets(), `open blob on ${b}`);
    }
    cases.push({
      name: spec.name,
      device: spec.device,
      ...(typeof spec.passphrase === 'string' ? { passphrase: spec.passphrase } : { passphraseHex: hex(spec.passphrase) }),
      passphraseBytes: hex(passBytes),
      opsLimit: OWASP_ARGON.opsLimit,
      memLimitBytes: OWASP_ARGON.memLimitBytes,
      memKiB: OWASP_ARGON.memLimitBytes / 1024,
      salt: hex(drawn.subarray(0, 16)),
      nonce: hex(drawn.subarray(16, 40)),
      random: hex(drawn),
      argon2Key: hex(key),
      header: hex(blob.subarray(0, 54)),
      blob: hex(blob),
      secrets: hex(d.exportSecrets()),
    });
  }

  // Tampering is checked on a blob at the format floor, sealed as earlier versions did: it must
  // still open, and costs the least Argon2 work.
  const pass = 'correct horse battery staple';
  const floor = await rawBlob(suite, set.byBackend.sodium[PHONE]!.exportSecrets(), utf8(pass), FLOOR_ARGON, drbg(suite, 'passphrase/floor')(40));
  const owasp = fromHex(cases[0]!.blob);
  const open = [
    { name: 'sealed at the format floor (t = 1, m = 8 MiB) by an earlier version: still opens', blob: hex(floor), passphrase: pass, error: null },
    { name: 'wrong passphrase', blob: hex(floor), passphrase: 'correct horse battery stapler', error: 'PASSPHRASE_WRONG' },
    {
      name: 'NFKC-equivalent spelling of case 1 opens it',
      blob: cases[1]!.blob,
      passphrase: 'pass \u00c5 fine',
      error: null,
    },
    { name: 'salt byte flipped', blob: hex(flip(floor, 20)), passphrase: pass, error: 'PASSPHRASE_WRONG' },
    { name: 'header cost byte flipped (t = 1 → 3)', blob: hex(withByte(floor, 9, 3)), passphrase: pass, error: 'PASSPHRASE_WRONG' },
    { name: 'sealed-secrets byte flipped', blob: hex(flip(floor, 100)), passphrase: pass, error: 'PASSPHRASE_WRONG' },
    { name: 'one byte short', blob: hex(owasp.subarray(0, 134)), passphrase: pass, error: 'PASSPHRASE_BLOB_MALFORMED' },
    { name: 'bad magic', blob: hex(withByte(owasp, 0, 0x4d)), passphrase: pass, error: 'PASSPHRASE_BLOB_MALFORMED' },
    { name: 'version 2', blob: hex(withByte(owasp, 4, 2)), passphrase: pass, error: 'PASSPHRASE_BLOB_MALFORMED' },
    { name: 'algorithm 2', blob: hex(withByte(owasp, 5, 2)), passphrase: pass, error: 'PASSPHRASE_BLOB_MALFORMED' },
    { name: 'memory 8191 KiB (under the 8 MiB floor)', blob: hex(withCost(owasp, 2, 8191)), passphrase: pass, error: 'PASSPHRASE_BLOB_MALFORMED' },
    { name: '0 passes', blob: hex(withCost(owasp, 0, 19_456)), passphrase: pass, error: 'PASSPHRASE_BLOB_MALFORMED' },
    // The ceiling: 256 MiB, and 768 MiB·passes. A blob exactly at it is accepted, which the empty
    // passphrase shows without running Argon2: PASSPHRASE_EMPTY comes after every check of the blob.
    { name: 'at the memory ceiling (t = 3, m = 256 MiB), empty passphrase: the cost passes', blob: hex(withCost(owasp, 3, 262_144)), passphrase: '', error: 'PASSPHRASE_EMPTY' },
    { name: 'at the work ceiling (t = 96, m = 8 MiB), empty passphrase: the cost passes', blob: hex(withCost(owasp, 96, 8_192)), passphrase: '', error: 'PASSPHRASE_EMPTY' },
    { name: 'memory 256 MiB + 1 KiB (t = 1)', blob: hex(withCost(owasp, 1, 262_145)), passphrase: pass, error: 'PASSPHRASE_BLOB_MALFORMED' },
    { name: 'work over the ceiling (t = 4, m = 256 MiB)', blob: hex(withCost(owasp, 4, 262_144)), passphrase: pass, error: 'PASSPHRASE_BLOB_MALFORMED' },
    { name: 'work over the ceiling (t = 97, m = 8 MiB)', blob: hex(withCost(owasp, 97, 8_192)), passphrase: pass, error: 'PASSPHRASE_BLOB_MALFORMED' },
    { name: 't = 16, m = 64 MiB (once accepted; 1 GiB·passes)', blob: hex(withCost(owasp, 16, 65_536)), passphrase: pass, error: 'PASSPHRASE_BLOB_MALFORMED' },
    { name: 'memory 1 GiB (t = 1; the old ceiling)', blob: hex(withCost(owasp, 1, 1_048_576)), passphrase: pass, error: 'PASSPHRASE_BLOB_MALFORMED' },
    { name: 'memory 2 GiB', blob: hex(withCost(owasp, 1, 2 * 1_048_576)), passphrase: pass, error: 'PASSPHRASE_BLOB_MALFORMED' },
    { name: 'passes 2^32 − 1', blob: hex(withCost(owasp, 0xffff_ffff, 8_192)), passphrase: pass, error: 'PASSPHRASE_BLOB_MALFORMED' },
    // Order: the blob's checks come before the passphrase's.
    { name: 'empty passphrase on a well-formed blob', blob: hex(owasp), passphrase: '', error: 'PASSPHRASE_EMPTY' },
    { name: 'empty passphrase on a blob over the ceiling: the blob is checked first', blob: hex(withCost(owasp, 4, 262_144)), passphrase: '', error: 'PASSPHRASE_BLOB_MALFORMED' },
    { name: 'empty passphrase on a blob with bad magic', blob: hex(withByte(owasp, 0, 0x4d)), passphrase: '', error: 'PASSPHRASE_BLOB_MALFORMED' },
  ];
  for (const c of open) {
    for (const b of BACKENDS) {
      const s = set.byBackend[b][0]!.suite;
      const got = await outcomeAsync(() => openSecretsWithPassphrase(s, fromHex(c.blob), c.passphrase));
      check(got === (c.error ?? 'ok'), `passphrase case "${c.name}" on ${b}: ${got}`);
    }
  }

  // Sealing: the cost is checked before the passphrase, so sealing with the empty passphrase
  // tells a refused cost (ARGON2_PARAMS_INVALID) from an accepted one (PASSPHRASE_EMPTY) without
  // running Argon2.
  const seal = [
    ...[[1, 47_104], [2, 19_456], [3, 12_288], [4, 9_216]].flatMap(([t, m]) => [
      { name: `OWASP minimum t = ${t}, m = ${m} KiB`, opsLimit: t!, memLimitBytes: m! * 1024, error: 'PASSPHRASE_EMPTY' },
      { name: `t = ${t}, m = ${m! - 1} KiB: 1 KiB short of it`, opsLimit: t!, memLimitBytes: (m! - 1) * 1024, error: 'ARGON2_PARAMS_INVALID' },
    ]),
    { name: 'OWASP minimum t = 5, m = 7168 KiB: under the format floor of 8 MiB', opsLimit: 5, memLimitBytes: 7_168 * 1024, error: 'ARGON2_PARAMS_INVALID' },
    { name: 't = 5, m = 8 MiB', opsLimit: 5, memLimitBytes: 8 * MiB, error: 'PASSPHRASE_EMPTY' },
    { name: 't = 1, m = 8 MiB (the format floor, once accepted for sealing)', opsLimit: 1, memLimitBytes: 8 * MiB, error: 'ARGON2_PARAMS_INVALID' },
    { name: 't = 1, m = 19 MiB: the t = 2 minimum\'s memory without its second pass', opsLimit: 1, memLimitBytes: 19_456 * 1024, error: 'ARGON2_PARAMS_INVALID' },
    { name: 'the default (t = 3, m = 64 MiB)', opsLimit: 3, memLimitBytes: 64 * MiB, error: 'PASSPHRASE_EMPTY' },
    { name: 'the ceiling (t = 3, m = 256 MiB)', opsLimit: 3, memLimitBytes: 256 * MiB, error: 'PASSPHRASE_EMPTY' },
    { name: 'the work ceiling (t = 96, m = 8 MiB)', opsLimit: 96, memLimitBytes: 8 * MiB, error: 'PASSPHRASE_EMPTY' },
    { name: 't = 4, m = 256 MiB: over the work ceiling', opsLimit: 4, memLimitBytes: 256 * MiB, error: 'ARGON2_PARAMS_INVALID' },
    { name: 't = 1, m = 256 MiB + 1 KiB: over the memory ceiling', opsLimit: 1, memLimitBytes: 256 * MiB + 1024, error: 'ARGON2_PARAMS_INVALID' },
    { name: 'memory not a whole number of KiB', opsLimit: 2, memLimitBytes: 19_456 * 1024 + 1, error: 'ARGON2_PARAMS_INVALID' },
    { name: '0 passes', opsLimit: 0, memLimitBytes: 64 * MiB, error: 'ARGON2_PARAMS_INVALID' },
  ];
  for (const c of seal) {
    for (const b of BACKENDS) {
      const d = set.byBackend[b][PHONE]!;
      const got = await outcomeAsync(() => d.exportWithPassphrase('', { opsLimit: c.opsLimit, memLimitBytes: c.memLimitBytes }));
      check(got === c.error, `passphrase seal case "${c.name}" on ${b}: ${got}`);
    }
  }
  return {
    description:
      'Device secrets sealed under a passphrase (135-byte blob). Argon2id v1.3, one lane, 32-byte output, ' +
      'libsodium crypto_pwhash(32, passphraseBytes, salt, opsLimit, memLimitBytes, ARGON2ID13) = RFC 9106 with ' +
      't = opsLimit, m = memKiB, p = 1, no secret, no associated data. String passphrases are NFKC-normalised then ' +
      'UTF-8 encoded; byte passphrases are used as given. The AEAD is XChaCha20-Poly1305 (key = argon2Key, nonce, ' +
      'aad = header = blob[0..54]). `random` = salt ‖ nonce, the bytes the seal drew. `cases` are sealed at OWASP\'s ' +
      'headline Argon2id minimum (t = 2, m = 19 MiB). In `open`, error null means it opens; a blob is checked (length, ' +
      'magic, version, algorithm, then cost: 1 ≤ t, 8 MiB ≤ m ≤ 256 MiB, t·m ≤ 768 MiB) before the passphrase, so the ' +
      'empty passphrase shows a cost at the ceiling is accepted without running Argon2. `seal` gives costs with what ' +
      'sealing under the empty passphrase must raise: ARGON2_PARAMS_INVALID for a refused cost (one that reaches none of ' +
      'OWASP\'s minimums, is under 8 MiB or over the ceiling), PASSPHRASE_EMPTY for an accepted one. See docs/protocol.md §3.3.',
    version: 1,
    cases,
    open,
    seal,
  };
}
