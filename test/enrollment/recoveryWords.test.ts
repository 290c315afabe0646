import { describe, expect, it } from 'vitest';
import { validateMnemonic } from '@scure/bip39';
import { wordlist } from '@scure/bip39/wordlists/english';
import { createRecoveryWords, recoveryDevice } from '../../src/enrollment/recoveryWords.js';

describe('recovery words', () => {
  it('are 24 words that derive the same recovery device on both backends, however they are typed', async () => {
    const words = createRecoveryWords();
    expect(words.split(' ')).toHaveLength(24);
    const a = await recoveryDevice(words, { backend: 'sodium' });
    const b = await recoveryDevice(`  ${words.toUpperCase().replace(/ /g, '\n ')} `, { backend: 'noble' });
    expect(b.public).toEqual(a.public);
    expect((await recoveryDevice(createRecoveryWords())).id).not.toEqual(a.id);
  });

  it('refuses a wrong word, a wrong count and a bad checksum', async () => {
    const words = createRecoveryWords().split(' ');
    // A different last word breaks the checksum for all but 1 in 256 words: pick one that does.
    const badChecksum = wordlist
      .map((w) => [...words.slice(0, 23), w].join(' '))
      .find((candidate) => !validateMnemonic(candidate, wordlist))!;
    for (const bad of [words.slice(0, 12).join(' '), [...words.slice(0, 23), 'notaword'].join(' '), badChecksum]) {
      await expect(recoveryDevice(bad)).rejects.toMatchObject({ code: 'RECOVERY_WORDS_INVALID' });
    }
  });
});
