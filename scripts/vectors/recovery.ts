/** docs/protocol.md §21 → recovery.json: recovery words → recovery pseudo-device (with its one key
 * epoch), accepted spellings and invalid word lists. Cases 0 and 3 are the recovery devices of
 * chain.json ("recovery" and "recovery-2").
 */
import { concatBytes, fromHex } from '../../src/crypto/bytes.js';
import { deriveKey, labelled } from '../../src/crypto/kdf.js';
import { LABELS } from '../../src/crypto/labels.js';
import type { CryptoProvider } from '../../src/crypto/provider.js';
import { encodeDevicePublic } from '../../src/core/devicePublic.js';
import { makeKeyStatement } from '../../src/core/keyStatement.js';
import { createRecoveryWords, normaliseWords, recoveryDevice } from '../../src/enrollment/recoveryWords.js';
import { BACKENDS, check, drbg, hex, labelTable, outcomeAsync, recording, replay, sameBytes } from './shared.js';

interface RecoveryCase {
  name: string;
  entropy: Uint8Array;
  words: string;
}

/** recovery.json, and the words of cases 0 and 3: the recovery devices that chain.json and the later files use. */
export async function recoveryVectors(suite: CryptoProvider): Promise<{ json: object; recoveryWords: string; secondWords: string }> {
  const rec = recording(drbg(suite, 'recovery/words'));
  const drawnWords = createRecoveryWords(rec.random);
  const rec2 = recording(drbg(suite, 'recovery/words-2'));
  const secondWords = createRecoveryWords(rec2.random);
  const specs: RecoveryCase[] = [
    { name: 'entropy from the vector source (the recovery device of chain.json)', entropy: rec.drawn(), words: drawnWords },
    { name: 'all-zero entropy (BIP39: abandon ×23, art)', entropy: new Uint8Array(32), words: '' },
    { name: 'all-0xff entropy (BIP39: zoo ×23, vote)', entropy: new Uint8Array(32).fill(0xff), words: '' },
    { name: 'entropy from the vector source (the second recovery device of chain.json, "recovery-2")', entropy: rec2.drawn(), words: secondWords },
  ];
  for (const s of specs) if (s.words === '') s.words = createRecoveryWords(replay(s.entropy));
  const cases = [];
  for (const s of specs) {
    const identityInput = labelled(LABELS.recoveryIdentity);
    const encryptionInput = labelled(LABELS.recoveryEncryption);
    const kemInput = labelled(LABELS.recoveryKem);
    const identitySeed = suite.blake2b(32, identityInput, s.entropy);
    const encryptionSecret = suite.blake2b(32, encryptionInput, s.entropy);
    const xwingSeed = suite.blake2b(32, kemInput, s.entropy);
    const secrets = concatBytes(new Uint8Array([1]), identitySeed, encryptionSecret);
    const d = await recoveryDevice(s.words, { backend: 'sodium' });
    sameBytes(d.exportSecrets(), secrets, `recovery secrets of "${s.name}"`);
    sameBytes(deriveKey(suite, LABELS.recoveryIdentity, s.entropy, 32), identitySeed, 'recovery identity derivation');
    const n = await recoveryDevice(s.words, { backend: 'noble' });
    sameBytes(n.exportSecrets(), secrets, `recovery secrets of "${s.name}" on noble`);
    // Its one key epoch: epoch 0, whose X-Wing seed the words derive too.
    const statement = makeKeyStatement(d, 0, xwingSeed);
    sameBytes(d.epochs.get(0)!.statement.bytes, statement.bytes, `recovery statement of "${s.name}"`);
    sameBytes(n.epochs.get(0)!.statement.bytes, statement.bytes, `recovery statement of "${s.name}" on noble`);
    check(d.epochs.all().length === 1, 'a recovery device has one epoch');
    check(s.words.split(' ').length === 24, 'recovery words are 24');
    cases.push({
      name: s.name,
      entropy: hex(s.entropy),
      words: s.words,
      identitySeedInput: hex(identityInput),
      identitySeed: hex(identitySeed),
      encryptionSecretInput: hex(encryptionInput),
      encryptionSecret: hex(encryptionSecret),
      secrets: hex(secrets),
      identityKey: hex(d.public.identityKey),
      encryptionKey: hex(d.public.encryptionKey),
      deviceId: hex(d.id),
      card: hex(encodeDevicePublic(d.public)),
      xwingSeedInput: hex(kemInput),
      xwingSeed: hex(xwingSeed),
      xwingPublicKey: hex(statement.publicKey),
      keyStatement: hex(statement.bytes),
    });
  }

  const words = specs[0]!.words;
  const list = words.split(' ');
  const fullwidth = (w: string) => [...w].map((c) => String.fromCharCode(c.charCodeAt(0) + 0xfee0)).join('');
  const spellings = [
    { name: 'upper case', typed: words.toUpperCase() },
    { name: 'line breaks, tabs and surrounding spaces', typed: `  ${list.slice(0, 12).join(' ')}\n${list.slice(12).join('\t ')}\n` },
    { name: 'first word in full-width letters (NFKD folds them)', typed: [fullwidth(list[0]!), ...list.slice(1)].join(' ') },
    {
      name: 'no-break space, ideographic space, line separator and a leading byte-order mark (all whitespace, §20.4)',
      typed: `\ufeff${list.slice(0, 8).join('\u00a0')} ${list.slice(8, 16).join('\u3000')}\u2028${list.slice(16).join(' ')}`,
    },
  ];
  for (const sp of spellings) {
    check(normaliseWords(sp.typed) === words, `normalising "${sp.name}"`);
    for (const b of BACKENDS) {
      sameBytes((await recoveryDevice(sp.typed, { backend: b })).exportSecrets(), fromHex(cases[0]!.secrets), `spelling "${sp.name}" on ${b}`);
    }
  }
  const lastReplaced = [...list.slice(0, 23), list[23] === 'abandon' ? 'ability' : 'abandon'].join(' ');
  const invalid = [
    { name: 'empty', typed: '' },
    { name: '23 words', typed: list.slice(0, 23).join(' ') },
    { name: '25 words', typed: `${words} ${list[0]}` },
    { name: 'a valid 12-word mnemonic (128 bits)', typed: `${'abandon '.repeat(11)}about` },
    { name: 'checksum fails (last word replaced)', typed: lastReplaced },
    { name: 'a word not on the English list', typed: [...list.slice(0, 5), 'multikey', ...list.slice(6)].join(' ') },
    { name: 'a word of the French list', typed: [...list.slice(0, 5), 'abaisser', ...list.slice(6)].join(' ') },
    { name: 'two words run together', typed: [...list.slice(0, 4), `${list[4]}${list[5]}`, ...list.slice(6)].join(' ') },
    { name: 'a zero-width space between two words (not whitespace)', typed: [...list.slice(0, 4), `${list[4]}\u200b${list[5]}`, ...list.slice(6)].join(' ') },
    { name: 'U+0085 (next line) between two words (not whitespace)', typed: [...list.slice(0, 4), `${list[4]}\u0085${list[5]}`, ...list.slice(6)].join(' ') },
  ].map((c) => ({ ...c, error: 'RECOVERY_WORDS_INVALID' }));
  for (const c of invalid) {
    for (const b of BACKENDS) {
      const got = await outcomeAsync(() => recoveryDevice(c.typed, { backend: b }));
      check(got === c.error, `recovery words "${c.name}" on ${b}: ${got}`);
    }
  }
  return {
    recoveryWords: words,
    secondWords,
    json: {
      description:
        'Recovery words → recovery pseudo-device. words = BIP39 English mnemonic of 32 bytes of entropy (24 words; ' +
        'no BIP39 passphrase and no PBKDF2 seed: the entropy itself is the secret). identitySeed = BLAKE2b-256(key = ' +
        'entropy, message = identitySeedInput), encryptionSecret = BLAKE2b-256(key = entropy, message = ' +
        'encryptionSecretInput); secrets = 0x01 ‖ identitySeed ‖ encryptionSecret are device secrets as in devices.json. ' +
        'The recovery device has one key epoch, 0: xwingSeed = BLAKE2b-256(key = entropy, message = xwingSeedInput), ' +
        'and keyStatement is its epoch-0 statement (chain.json\'s rxk, or xk of an add with role recovery). ' +
        'Typed words are normalised (NFKD, lower case, any run of the whitespace of docs/protocol.md §20.4 = one space, ' +
        'none at the ends) before checking. `spellings` must derive case 0; `invalid` must fail with `error`. See ' +
        'docs/protocol.md §21.',
      version: 1,
      labels: labelTable({ recoveryIdentity: LABELS.recoveryIdentity, recoveryEncryption: LABELS.recoveryEncryption, recoveryKem: LABELS.recoveryKem }),
      cases,
      spellings: spellings.map((s) => ({ ...s, normalised: words })),
      invalid,
    },
  };
}
