/**
 * The notes app's own code, shared by its Node devices (node.ts) and its browser tab
 * (browser.ts): what a note is, how the `notes` collection behaves, and the two places where
 * the app does by hand what the library is about to do by itself (marked "Today:").
 */
import type { Collection, CollectionOptions, DevicePublic, Replica } from 'multikey-sync';

/** One note, as every device stores and syncs it (sealed: the server sees none of it). */
export interface Note {
  title: string;
  body: string;
  /** When it was last edited, ms since the epoch, by the editing device's clock. */
  updatedAt: number;
}

/** Refuses anything but a note, naming the field, before it is stored or synced. */
function validateNote(value: unknown): Note {
  const note = value as Partial<Note> | null;
  if (typeof note !== 'object' || note === null) throw new TypeError('a note is an object { title, body, updatedAt }');
  if (typeof note.title !== 'string' || note.title.length === 0) throw new TypeError('note.title must be a non-empty string');
  if (typeof note.body !== 'string') throw new TypeError('note.body must be a string');
  if (typeof note.updatedAt !== 'number' || !Number.isFinite(note.updatedAt)) throw new TypeError('note.updatedAt must be a time in ms');
  return { title: note.title, body: note.body, updatedAt: note.updatedAt };
}

/** The `notes` collection: validated notes, listed by when they were last edited. */
export function notesOptions(): CollectionOptions<Note> {
  // Issue 11, item 5 (per-collection merges): a `merge` for concurrent edits of one note goes here.
  return { validate: validateNote, sortTime: (note) => note.updatedAt };
}

/** This device's notes. */
export function notesOf(replica: Replica): Collection<Note> {
  return replica.collection('notes', notesOptions());
}

/**
 * Where a note lives, the same on every device. Today: the random 16-byte id its first `put`
 * returned (record ids are `Uint8Array`s). With string keys (issue 11, item 6) it becomes the
 * app's own key, e.g. `'groceries'`.
 */
export type NoteId = Uint8Array;

/**
 * Writes a new note under `key` and returns where it lives. Today the key is not used: the
 * library picks a random id. With string keys this becomes
 * `{ await notes.put(note, key); return key; }`; every other call (`put(note, id)`, `get(id)`,
 * `delete(id)`) stays as it is.
 */
export async function addNote(notes: Collection<Note>, _key: string, note: Note): Promise<NoteId> {
  return notes.put(note);
}

/** The notes, most recently edited first. */
export async function listNotes(notes: Collection<Note>): Promise<Note[]> {
  return (await notes.list({ order: 'desc' })).map((entry) => entry.value);
}

/** Saves the note titled `title`: edits it if there is one, else adds it. */
export async function saveNote(notes: Collection<Note>, title: string, body: string): Promise<void> {
  const note = { title, body, updatedAt: Date.now() };
  const [existing] = await notes.list({ where: (n) => n.title === title, limit: 1 });
  if (existing === undefined) await addNote(notes, title.toLowerCase(), note);
  else await notes.put(note, existing.id);
}

/**
 * What the approving device does once it added `card`, so the new device's first sync shows
 * the notes written before it existed. Today: hand the history over now. When approval hands it
 * over by itself (issue 11, item 4), this does nothing.
 */
export async function afterApproving(replica: Replica, card: DevicePublic): Promise<void> {
  await replica.handoffTo(card);
}
