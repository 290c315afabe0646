/**
 * Recovery words: 24 words from the BIP39 English list (256 bits of entropy plus checksum),
 * shown once when the account is made. They deterministically derive the recovery
 * pseudo-device, which is on the device chain like any device: records are wrapped to it, and
 * it can sign one kind of entry, an `add` that takes effect only after the recovery delay. Its
 * X-Wing key (epoch 0, the only epoch it ever has: it writes no log to announce another) comes
 * from the words too, so the words alone rebuild everything it needs to read.
 * No stretching is needed: 256 random bits cannot be guessed.
 */
import { entropyToMnemonic, mnemonicToEntropy, validateMnemonic } from '@scure/bip39';
import { wordlist } from '@scure/bip39/wordlists/english';
import { ValidationError } from '../errors.js';
import { wipe } from '../crypto/bytes.js';
import { deriveKey } from '../crypto/kdf.js';
import { LABELS } from '../crypto/labels.js';
import type { BackendName } from '../crypto/provider.js';
import { systemRandom, type RandomSource } from '../crypto/random.js';
import { loadSuite } from '../crypto/suite.js';
import { Device } from '../core/device.js';
import { WHITESPACE_RUN } from './whitespace.js';

/** Fresh recovery words: 24 space-separated BIP39 English words. */
export function createRecoveryWords(random: RandomSource = systemRandom): string {
  const entropy = random(32);
  try {
    return entropyToMnemonic(entropy, wordlist);
  } finally {
    wipe(entropy);
  }
}

/**
 * Normalises what a person typed: NFKD, lower case, and every run of whitespace (whitespace.ts)
 * becomes one space, none at either end. Case, extra spaces and line breaks do not matter.
 */
export function normaliseWords(words: string): string {
  return words.normalize('NFKD').toLowerCase().replace(WHITESPACE_RUN, ' ').replace(/^ | $/g, '');
}

/**
 * The recovery pseudo-device that `words` derive.
 * @throws {ValidationError} `RECOVERY_WORDS_INVALID` for a wrong count, unknown word or bad checksum.
 */
export async function recoveryDevice(words: string, options: { backend?: BackendName } = {}): Promise<Device> {
  if (typeof words !== 'string') {
    throw new ValidationError('RECOVERY_WORDS_INVALID', 'recovery words must be 24 BIP39 English words with a valid checksum');
  }
  const normalised = normaliseWords(words);
  if (normalised.split(' ').length !== 24 || !validateMnemonic(normalised, wordlist)) {
    throw new ValidationError('RECOVERY_WORDS_INVALID', 'recovery words must be 24 BIP39 English words with a valid checksum');
  }
  const suite = await loadSuite(options.backend);
  const entropy = mnemonicToEntropy(normalised, wordlist);
  const secrets = new Uint8Array(65);
  secrets[0] = 0x01;
  secrets.set(deriveKey(suite, LABELS.recoveryIdentity, entropy, 32), 1);
  secrets.set(deriveKey(suite, LABELS.recoveryEncryption, entropy, 32), 33);
  const kemSeed = deriveKey(suite, LABELS.recoveryKem, entropy, 32);
  try {
    const device = Device.fromSecretsWith(suite, secrets);
    // The time an epoch began matters only for rolling, which the recovery device never does.
    device.epochs.begin(device, kemSeed, 0);
    return device;
  } finally {
    wipe(entropy, secrets, kemSeed);
  }
}
