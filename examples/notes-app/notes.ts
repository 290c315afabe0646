/**
 * The notes app's own code, shared by its Node devices (node.ts) and its browser tab
 * (browser.ts): what a note is, how the `notes` collection behaves, and where a note lives.
 */
import type { Collection, CollectionOptions, Replica } from 'multikey-sync';

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

/**
 * The `notes` collection: validated notes, listed by when they were last edited. Two edits of
 * one note made at once resolve by the writers' clocks (the later edit wins on every device);
 * an app that would rather combine them passes `merge` here.
 */
export function notesOptions(): CollectionOptions<Note> {
  return { validate: validateNote, sortTime: (note) => note.updatedAt };
}

/** This device's notes. */
export function notesOf(replica: Replica): Collection<Note> {
  return replica.collection('notes', notesOptions());
}

/**
 * Where a note lives, the same on every device: the app's own key (e.g. `'groceries'`). The
 * library turns it into a record id under the account's naming key; the key itself travels only
 * inside the sealed body, never to the server.
 */
export type NoteId = string;

/** Writes a new note under `key` and returns where it lives. */
export async function addNote(notes: Collection<Note>, key: NoteId, note: Note): Promise<NoteId> {
  await notes.put(note, key);
  return key;
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
  else await notes.put(note, existing.key ?? existing.id);
}
