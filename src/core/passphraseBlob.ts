/**
 * A device's secrets sealed under a passphrase, so an app can persist a device at rest.
 * Key = Argon2id(passphrase, salt, t, m), 32 bytes; the secrets are sealed with
 * XChaCha20-Poly1305 under that key with the blob's header as AAD. Layout (135 bytes):
 *
 * | offset | bytes | field                                            |
 * |--------|-------|--------------------------------------------------|
 * | 0      | 4     | magic "mksd"                                     |
 * | 4      | 1     | version = 0x01                                   |
 * | 5      | 1     | algorithm = 0x01 (Argon2id v1.3, XChaCha20-Poly1305) |
 * | 6      | 4     | Argon2 passes t (u32 BE)                         |
 * | 10     | 4     | Argon2 memory in KiB (u32 BE)                    |
 * | 14     | 16    | salt                                             |
 * | 30     | 24    | nonce                                            |
 * | 54     | 81    | sealed device secrets (65) ‖ tag (16)            |
 */
import { CodecError, CryptoError, ValidationError } from '../errors.js';
import { utf8, wipe } from '../crypto/bytes.js';
import type { Argon2Params, CryptoProvider } from '../crypto/provider.js';
import { systemRandom, type RandomSource } from '../crypto/random.js';
import { openCostAllowed, sealCostAllowed } from './argon2Costs.js';

const MAGIC = [0x6d, 0x6b, 0x73, 0x64];
const HEADER = 54;
const DEVICE_SECRET_BYTES = 65; // Device.exportSecrets() output
export const PASSPHRASE_BLOB_BYTES = HEADER + DEVICE_SECRET_BYTES + 16;

/** t = 3, m = 64 MiB, one lane: RFC 9106's second recommended setting but with p = 1 (libsodium fixes p at 1). */
export const DEFAULT_ARGON2: Argon2Params = { opsLimit: 3, memLimitBytes: 64 * 1024 * 1024 };

function passphraseBytes(passphrase: string | Uint8Array): Uint8Array {
  if (typeof passphrase === 'string') {
    if (passphrase.length === 0) throw new ValidationError('PASSPHRASE_EMPTY', 'the passphrase is empty');
    return utf8(passphrase.normalize('NFKC'));
  }
  if (passphrase instanceof Uint8Array && passphrase.length > 0) return passphrase;
  throw new ValidationError('PASSPHRASE_EMPTY', 'the passphrase must be a non-empty string or byte array');
}

/**
 * Seals 65-byte device secrets under a passphrase. The cost must reach one of OWASP's Argon2id
 * minimums (t = 1 with 46 MiB, t = 2 with 19 MiB, t = 3 with 12 MiB, t = 4 with 9 MiB, t ≥ 5 with
 * 8 MiB) and stay within 256 MiB and 768 MiB·passes (src/core/argon2Costs.ts). Checked in this
 * order: the cost, then (after drawing salt and nonce) the passphrase.
 * @throws {ValidationError} `ARGON2_PARAMS_INVALID`, `PASSPHRASE_EMPTY`.
 */
export async function sealSecretsWithPassphrase(
  suite: CryptoProvider,
  secrets: Uint8Array,
  passphrase: string | Uint8Array,
  params: Argon2Params = DEFAULT_ARGON2,
  random: RandomSource = systemRandom,
): Promise<Uint8Array> {
  const memKiB = typeof params === 'object' && params !== null ? params.memLimitBytes / 1024 : Number.NaN;
  if (!sealCostAllowed(params?.opsLimit, memKiB)) {
    throw new ValidationError(
      'ARGON2_PARAMS_INVALID',
      "Argon2id costs must reach one of OWASP's minimums (t = 2 with 19 MiB, or an equivalent) and stay within 256 MiB and 768 MiB·passes",
    );
  }
  const out = new Uint8Array(PASSPHRASE_BLOB_BYTES);
  const view = new DataView(out.buffer);
  out.set(MAGIC, 0);
  out[4] = 0x01;
  out[5] = 0x01;
  view.setUint32(6, params.opsLimit);
  view.setUint32(10, memKiB);
  out.set(random(16), 14);
  out.set(random(24), 30);
  const key = await suite.argon2id(passphraseBytes(passphrase), out.subarray(14, 30), params, 32);
  out.set(suite.aeadEncrypt(key, out.subarray(30, 54), secrets, out.subarray(0, HEADER)), HEADER);
  wipe(key);
  return out;
}

/**
 * Opens a blob made by {@link sealSecretsWithPassphrase}; returns the 65 secret bytes. Checked in
 * this order, all before Argon2 runs: length, magic, version and algorithm, then the cost (at
 * least 1 pass and 8 MiB, at most 256 MiB and 768 MiB·passes), then the passphrase.
 * @throws {CodecError} `PASSPHRASE_BLOB_MALFORMED` for wrong length, magic, version or algorithm,
 *   or a cost outside those bounds.
 * @throws {ValidationError} `PASSPHRASE_EMPTY` for an empty passphrase.
 * @throws {CryptoError} `PASSPHRASE_WRONG` when the passphrase is wrong or the blob was altered.
 */
export async function openSecretsWithPassphrase(
  suite: CryptoProvider,
  blob: Uint8Array,
  passphrase: string | Uint8Array,
): Promise<Uint8Array> {
  const malformed = (c: string, m: string) => new CodecError(c, m);
  if (!(blob instanceof Uint8Array) || blob.length !== PASSPHRASE_BLOB_BYTES) {
    throw malformed('PASSPHRASE_BLOB_MALFORMED', `a passphrase blob is ${PASSPHRASE_BLOB_BYTES} bytes`);
  }
  if (MAGIC.some((b, i) => blob[i] !== b) || blob[4] !== 0x01 || blob[5] !== 0x01) {
    throw malformed('PASSPHRASE_BLOB_MALFORMED', 'not a version-1 multikey-sync passphrase blob');
  }
  const view = new DataView(blob.buffer, blob.byteOffset, blob.length);
  const opsLimit = view.getUint32(6);
  const memKiB = view.getUint32(10);
  if (!openCostAllowed(opsLimit, memKiB)) {
    throw malformed('PASSPHRASE_BLOB_MALFORMED', 'the blob asks for Argon2id costs outside 1 pass and 8 MiB … 256 MiB and 768 MiB·passes');
  }
  const key = await suite.argon2id(
    passphraseBytes(passphrase),
    blob.subarray(14, 30),
    { opsLimit, memLimitBytes: memKiB * 1024 },
    32,
  );
  const secrets = suite.aeadDecrypt(key, blob.subarray(30, 54), blob.subarray(HEADER), blob.subarray(0, HEADER));
  wipe(key);
  if (secrets === null) throw new CryptoError('PASSPHRASE_WRONG', 'wrong passphrase, or the blob was altered');
  return secrets;
}
