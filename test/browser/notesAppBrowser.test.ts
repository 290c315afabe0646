/**
 * The notes app's browser part (examples/notes-app/browser.ts) in headless Chromium, as its
 * page would run it: a tab joins a Node phone's account by QR code, its first sync shows the
 * phone's notes, it writes and edits notes the phone then sees; it edits once more and the page
 * RELOADS before it syncs; the reloaded page opens the same device from IndexedDB with its notes
 * and its unsent edit intact, and syncs on, both ways. Page and server on two loopback origins,
 * as in browserSync.test.ts.
 */
import type { Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Account, Device, HttpClient, MemoryLocalStore, Replica, toHex } from '../../src/index.js';
import { addNote, notesOf, type Note } from '../../examples/notes-app/notes.js';
import { openPageEnv, type PageEnv } from './pageEnv.js';
import type {} from './notesAppPage.js';

// Pairing polls the mailbox; a short timeout makes a broken page fail fast instead of hanging.
const PAIRING = { pollMs: 100, timeoutMs: 15_000 };

let env: PageEnv | undefined;
let apiUrl = '';
let page: Page;

/** Waits until the page's script has set `window.notesApp` (after the first load and after a reload). */
async function pageReady(): Promise<void> {
  await page.waitForFunction(() => window.notesApp !== undefined, undefined, { timeout: 10_000 });
}

beforeAll(async () => {
  env = await openPageEnv('test/browser/notesAppPage.ts', 'notes-browser', async (p) => {
    page = p;
    await pageReady();
  });
  ({ apiUrl, page } = env);
});

afterEach(() => {
  expect(env?.tab.errors, 'errors in the page').toEqual([]);
});

afterAll(async () => {
  await env?.close();
});

const bodies = (notes: Note[]) => Object.fromEntries(notes.map((n) => [n.title, n.body]));

describe('the notes app in headless Chromium', () => {
  it('a tab joins a Node phone by QR, shows its notes, syncs both ways, reloads with its notes and unsent edit intact, and syncs on', async () => {
    const connect = (device: Device, accountId?: Uint8Array) =>
      new HttpClient({ baseUrl: apiUrl, device, ...(accountId === undefined ? {} : { accountId }) });
    const phoneDevice = await Device.generate();
    const { account: phone } = await Account.create({ device: phoneDevice, transport: connect(phoneDevice) });
    const phoneReplica = await Replica.open({ account: phone, store: new MemoryLocalStore() });
    const phoneNotes = notesOf(phoneReplica);
    await addNote(phoneNotes, 'groceries', { title: 'Groceries', body: 'milk, eggs', updatedAt: Date.now() });
    await addNote(phoneNotes, 'trip', { title: 'Trip', body: 'book the train', updatedAt: Date.now() + 1 });
    // The two notes, and the account's naming key that the first string-keyed note created.
    expect((await phoneReplica.sync()).pushed).toBe(3);

    // First visit: nothing kept in this browser, so the page joins by QR.
    expect(await page.evaluate((url) => window.notesApp!.reopen(url), apiUrl)).toBeNull();
    const uri = await page.evaluate(([url, wait]) => window.notesApp!.startJoin(url, wait), [apiUrl, PAIRING] as const);
    const [card, tabDevice] = await Promise.all([
      phoneReplica.approveOffer(uri, { confirm: async () => true, showSas: (code) => page.evaluate((c) => window.notesApp!.phoneShows(c), code), ...PAIRING }),
      page.evaluate(() => window.notesApp!.finishJoin()),
    ]);
    expect(tabDevice).toBe(toHex(card.id));

    const first = await page.evaluate(() => window.notesApp!.sync());
    expect(first).toMatchObject({ rejected: 0, withheld: 0, held: 0 });
    expect(bodies(await page.evaluate(() => window.notesApp!.list())), "the tab's first sync shows the phone's notes").toEqual({
      Groceries: 'milk, eggs',
      Trip: 'book the train',
    });

    await page.evaluate(() => window.notesApp!.save('Groceries', 'milk, eggs, coffee'));
    await page.evaluate(() => window.notesApp!.save('Ideas', 'a notes app'));
    expect((await page.evaluate(() => window.notesApp!.sync())).pushed).toBe(2);
    expect((await phoneReplica.sync()).rejected).toBe(0);
    const onPhone = async () => bodies((await phoneNotes.list()).map((e) => e.value));
    expect(await onPhone()).toEqual({ Groceries: 'milk, eggs, coffee', Trip: 'book the train', Ideas: 'a notes app' });

    // The tab edits once more and is reloaded before it syncs; the phone writes meanwhile.
    await page.evaluate(() => window.notesApp!.save('Trip', 'book the train, window seat'));
    await addNote(phoneNotes, 'dentist', { title: 'Dentist', body: 'Tuesday 9:30', updatedAt: Date.now() });
    expect((await phoneReplica.sync()).pushed).toBe(1);

    await page.reload();
    await pageReady();
    expect(await page.evaluate((url) => window.notesApp!.reopen(url), apiUrl), 'the same device, from IndexedDB').toBe(tabDevice);
    expect(bodies(await page.evaluate(() => window.notesApp!.list())), 'its notes and its unsent edit, kept across the reload').toEqual({
      Groceries: 'milk, eggs, coffee',
      Trip: 'book the train, window seat',
      Ideas: 'a notes app',
    });

    expect(await page.evaluate(() => window.notesApp!.sync())).toMatchObject({ pushed: 1, rejected: 0, withheld: 0 });
    const synced = await page.evaluate(() => window.notesApp!.list());
    expect(bodies(synced), 'with what the phone wrote meanwhile').toEqual({
      Groceries: 'milk, eggs, coffee',
      Trip: 'book the train, window seat',
      Ideas: 'a notes app',
      Dentist: 'Tuesday 9:30',
    });
    expect((await phoneReplica.sync()).rejected).toBe(0);
    expect(await onPhone(), 'the edit the tab made before the reload').toEqual(bodies(synced));
    await phoneReplica.close();
  });
});
