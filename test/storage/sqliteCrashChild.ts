/**
 * Child process for the SIGKILL test: opens the store, pushes, prints "acked <cursor>" once
 * the push resolved, then waits to be killed. Arguments: path, account hex, synchronous mode.
 */
import { SqliteStore } from '../../src/storage/index.js';

const [path, accountHex, synchronous] = process.argv.slice(2) as [string, string, 'FULL' | 'NORMAL'];
const store = await SqliteStore.open(path, { synchronous });
const account = Uint8Array.from(Buffer.from(accountHex, 'hex'));
const items = Array.from({ length: 50 }, (_, i) => ({
  recordId: Uint8Array.from({ length: 16 }, () => i),
  revision: 1,
  sender: new Uint8Array(16).fill(9),
  kind: 'record' as const,
  expiryDay: 0,
  bytes: new Uint8Array(100).fill(i),
}));
await store.putEnvelopes(account, items);
const page = await store.pullEnvelopes(account, 0, 100);
process.stdout.write(`acked ${page.cursor}\n`);
setInterval(() => undefined, 1000);
