/**
 * The page of notesAppBrowser.test.ts: examples/notes-app/browser.ts, the notes app's browser
 * code, with `window.notesApp` standing in for its buttons and screens, so the Node test can
 * press them. Values crossing to the test are plain data.
 */
import { toHex, type SyncReport } from 'multikey-sync';
import { joinByQr, reopenTab, type NotesTab, type PairingWait } from '../../examples/notes-app/browser.js';
import { listNotes, saveNote, type Note } from '../../examples/notes-app/notes.js';

/** What the test presses in the page. */
export interface NotesAppPage {
  /** "Add this browser": starts joining and resolves with the QR code's text once it is shown. */
  startJoin(baseUrl: string, wait: PairingWait): Promise<string>;
  /** The person reads the phone's 6-digit code off its screen. */
  phoneShows(code: string): void;
  /** Waits until the tab has joined; its device id. */
  finishJoin(): Promise<string>;
  /** What the page does on load: its device id from IndexedDB, or null on a first visit. */
  reopen(baseUrl: string): Promise<string | null>;
  sync(): Promise<SyncReport>;
  list(): Promise<Note[]>;
  save(title: string, body: string): Promise<void>;
}

declare global {
  interface Window {
    notesApp?: NotesAppPage;
  }
}

let tab: NotesTab | undefined;
let joining: Promise<NotesTab> | undefined;
let phoneShows: (code: string) => void = () => undefined;
const phoneCode = new Promise<string>((resolve) => (phoneShows = resolve));

function open(): NotesTab {
  if (tab === undefined) throw new Error('join or reopen first');
  return tab;
}

window.notesApp = {
  startJoin: (baseUrl, wait) =>
    new Promise<string>((shown) => {
      joining = joinByQr(baseUrl, { showQr: shown, sameCode: async (code) => code === (await phoneCode) }, wait);
      // Awaited in finishJoin; until then a rejection must not surface as an unhandled one.
      joining.catch(() => undefined);
    }),
  phoneShows: (code) => phoneShows(code),
  async finishJoin() {
    if (joining === undefined) throw new Error('startJoin first');
    tab = await joining;
    return toHex(tab.account.device.id);
  },
  async reopen(baseUrl) {
    tab = (await reopenTab(baseUrl)) ?? undefined;
    return tab === undefined ? null : toHex(tab.account.device.id);
  },
  sync: () => open().replica.sync(),
  list: () => listNotes(open().notes),
  save: (title, body) => saveNote(open().notes, title, body),
};
