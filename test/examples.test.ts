/**
 * Every example runs as a user would run it (`npx tsx examples/NAME.ts`, and for an app with
 * several files `npx tsx examples/APP/node.ts`), exits 0, and prints what it claims to show: the
 * lines below are the story each one tells.
 */
import { execFile } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);
const root = join(import.meta.dirname, '..');
/** `NAME.ts` at the top, and `APP/node.ts` for an app in a folder of its own (its other files are its parts). */
const examples = readdirSync(join(root, 'examples'), { withFileTypes: true }).flatMap((entry) => {
  if (entry.isFile() && entry.name.endsWith('.ts')) return [entry.name];
  if (entry.isDirectory() && existsSync(join(root, 'examples', entry.name, 'node.ts'))) return [`${entry.name}/node.ts`];
  return [];
});

const claims: Record<string, RegExp[]> = {
  'call-log-sync.ts': [/✓ laptop and tablet hold 3 calls/, /✓ the call is gone everywhere/, /✓ the tablet's call is everywhere/],
  'notes-app/node.ts': [
    /phone created the account and wrote 2 notes/,
    /the laptop joined by QR\nlaptop's first sync shows 2 notes: Trip, Groceries/,
    /the tablet joined by the code\ntablet's first sync shows 2 notes: Trip, Groceries/,
    /offline, phone edited "Groceries" at [\d:.]+: milk, eggs, bread\noffline, laptop edited "Groceries" at [\d:.]+: milk, eggs, coffee/,
    /phone: "Groceries" was edited on two devices at once; the remote edit \(the later clock\) wins/,
    /every device shows the same edit: the laptop's, the later one/,
    /tablet deleted "Trip"; phone: gone, laptop: gone, tablet: gone/,
    /phone revoked the tablet and wrote "Book club"; laptop shows: Book club, Groceries/,
    /the tablet's sync, and the note it wrote, refused: DEVICE_REVOKED\nthe tablet sees "Book club": false/,
    /phone shows: Book club, Groceries \(nothing from the tablet\)/,
    /laptop restarted from its SQLite file: same device: true; before syncing it shows: Book club, Groceries\n/,
    /laptop synced on \(applied \d+\) and shows: Dentist, Book club, Groceries\n/,
    /the laptop edits "Book club"; the phone shows: chapter 5 by Thursday\n/,
  ],
  'enroll-by-qr.ts': [
    /laptop's first sync applied 3, holds 0/,
    /reaches the laptop directly: 4 calls/,
    /scanning the same QR code again: PAIRING_OFFER_USED/,
  ],
  'postgres-scale-out.ts': [/✓ the call is on the laptop/, /server A and server B serve the same \d+ envelopes and \d+ log checkpoints, cursor \d+: true/],
  'quick-start.ts': [/pushed 1; missed calls here: 1/],
  'recover-with-words.ts': [/new phone removed lost device/, /new phone's first sync: pulled \d+ items, applied 3, withheld 0/],
  'revoke-lost-device.ts': [
    /refused: DEVICE_REVOKED/,
    /the call from before: phone, recovery key, laptop, tablet\n/,
    /the call from after: phone, recovery key, laptop\n/,
    /the tablet opening the new envelope gets: null/,
  ],
  'seal-call-record.ts': [/tablet {2}opens it: incoming voip call, missed=true/, /stranger gets: null/, /tampered copy refused: ENVELOPE_TAMPERED/],
  'voip-missed-calls.ts': [/CALL_APP_INVALID/, /records waiting to be pushed: 0/],
};

describe('examples', () => {
  it('every example has its claims listed here', () => {
    expect(Object.keys(claims).sort()).toEqual([...examples].sort());
  });

  it.each(examples)('%s runs, exits 0 and prints what it shows', async (file) => {
    const { stdout } = await run('npx', ['tsx', join('examples', file)], { cwd: root, timeout: 120_000 });
    for (const claim of claims[file] ?? []) expect(stdout).toMatch(claim);
    // Examples print what devices see, never key material.
    expect(stdout).not.toMatch(/secret|private key/i);
  }, 150_000);
});
