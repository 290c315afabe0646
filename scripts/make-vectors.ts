/**
 * Writes the frozen test vectors under test/vectors/ (run once: `npx tsx scripts/make-vectors.ts`).
 *
 * Every random byte comes from a deterministic source (BLAKE2b-512 of a name and a counter) and
 * is recorded in the vectors, so a second implementation can replay it. Each vector is computed
 * on the libsodium backend and recomputed on the noble backend; the script stops if the two
 * disagree, or if a must-fail case does not fail with the code written next to it. Each file has
 * its generator in scripts/vectors/, named after it (chain.json: scripts/vectors/chain.ts), whose
 * first lines name the docs/protocol.md sections it pins; scripts/vectors/shared.ts holds what
 * they share. This file runs them in order and decides what to write.
 *
 * The vectors are a contract: once committed they change only with the wire format. The script
 * writes files that do not exist yet and refuses to overwrite existing ones unless given
 * `--force`; for each file it keeps, it reports whether the current code still reproduces it
 * exactly, and exits with status 1 if one no longer does.
 *
 *   --check          write nothing; exit 1 if a file is missing or no longer reproduced
 *   --only a.json,…  consider only these files (e.g. `--force --only chain.json` rewrites one)
 *   --force          overwrite the files considered
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadSuite } from '../src/crypto/suite.js';
import { cborVectors } from './vectors/cbor.js';
import { chainVectors } from './vectors/chain.js';
import { devicesVectors, unusableStatements } from './vectors/devices.js';
import { ed25519Vectors } from './vectors/ed25519.js';
import { envelopesVectors } from './vectors/envelopes.js';
import { envelopesInvalidVectors } from './vectors/envelopes-invalid.js';
import { paddingVectors } from './vectors/padding.js';
import { pairingVectors } from './vectors/pairing.js';
import { pairkeysVectors } from './vectors/pairkeys.js';
import { logsVectors } from './vectors/logs.js';
import { passphraseVectors } from './vectors/passphrase.js';
import { recordsVectors } from './vectors/records.js';
import { recordidsVectors } from './vectors/recordids.js';
import { attachmentsVectors } from './vectors/attachments.js';
import { recoveryVectors } from './vectors/recovery.js';
import { requestsVectors } from './vectors/requests.js';
import { lowOrderCard, makeCasts, makeDevices, makePairKeys, PHONE, vectorFileText } from './vectors/shared.js';

const OUT_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', 'test', 'vectors');
const FORCE = process.argv.includes('--force');
const CHECK = process.argv.includes('--check');
const ONLY = optionList('--only');

function optionList(flag: string): Set<string> | undefined {
  const at = process.argv.indexOf(flag);
  if (at < 0) return undefined;
  const value = process.argv[at + 1];
  if (value === undefined || value.startsWith('--')) throw new Error(`${flag} needs a comma-separated list of file names`);
  return new Set(value.split(','));
}

/**
 * Every file's content, in the order they are reported. Nothing is written until all of them
 * have been computed and checked. What one file hands to a later one is passed explicitly.
 */
async function generate(): Promise<Map<string, object>> {
  const suite = await loadSuite('sodium');
  const files = new Map<string, object>();
  // devices.json's seven devices and a signed low-order card, on both backends.
  const set = await makeDevices(suite);
  const low = lowOrderCard(suite);

  files.set('devices.json', devicesVectors(set, suite, low));
  // Every ordered pair's kek(S→R, ref): envelopes, records and logs seal with them and publish them.
  const keys = makePairKeys(set, suite);
  const pairkeys = await pairkeysVectors(set, suite, keys, unusableStatements(set.byBackend.sodium[PHONE]!));
  files.set('pairkeys.json', pairkeys.json);
  const envelopes = envelopesVectors(set, suite, keys);
  files.set('envelopes.json', envelopes.json);
  files.set('envelopes-invalid.json', envelopesInvalidVectors(set, suite, keys, envelopes.sealed));
  files.set('logs.json', logsVectors(set, suite, keys, pairkeys.later));
  files.set('padding.json', paddingVectors());
  files.set('passphrase.json', await passphraseVectors(set, suite));
  files.set('cbor.json', cborVectors());
  files.set('ed25519.json', await ed25519Vectors(suite));

  // The upper layers' files name devices.json's devices and add the recovery devices of
  // recovery.json cases 0 and 3; pairing, requests and records build on chain.json's chain. The
  // core files above depend on none of them.
  const recovery = await recoveryVectors(suite);
  const casts = await makeCasts(set, recovery.recoveryWords, recovery.secondWords);
  const chain = chainVectors(casts, low);
  files.set('chain.json', chain.json);
  files.set('pairing.json', pairingVectors(casts, suite, chain.built, low));
  files.set('recovery.json', recovery.json);
  files.set('requests.json', requestsVectors(casts, suite, chain.built));
  files.set('records.json', recordsVectors(casts, suite, chain.built, keys));
  files.set('recordids.json', await recordidsVectors(suite));
  files.set('attachments.json', await attachmentsVectors(suite));
  return files;
}

function writeVectors(files: Map<string, object>): void {
  for (const name of ONLY ?? []) if (!files.has(name)) throw new Error(`--only: no vector file is called ${name}`);
  let failed = false;
  for (const [name, content] of files) {
    if (ONLY !== undefined && !ONLY.has(name)) continue;
    const path = join(OUT_DIR, name);
    const text = vectorFileText(content);
    if (existsSync(path) && (CHECK || !FORCE)) {
      const same = readFileSync(path, 'utf8') === text;
      failed ||= !same;
      console.log(`kept ${name} (${same ? 'the code still reproduces it' : 'THE CODE NO LONGER REPRODUCES IT'})`);
      continue;
    }
    if (CHECK) {
      failed = true;
      console.log(`missing ${name}`);
      continue;
    }
    writeFileSync(path, text);
    console.log(`wrote ${name}`);
  }
  if (failed) process.exitCode = 1;
}

async function main(): Promise<void> {
  mkdirSync(OUT_DIR, { recursive: true });
  writeVectors(await generate());
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
