import { Account, Device, HttpClient, MemoryLocalStore, Replica, callLogOptions, listCalls } from 'multikey-sync';
import { MemoryStore, createServer } from 'multikey-sync/server';

// A sync server (in production: npx multikey-sync serve --db ./data.sqlite).
const server = createServer({ store: new MemoryStore() });
const { url } = await server.listen(0, '127.0.0.1');

// The first device creates the account (and 24 recovery words to show the user once).
const phone = await Device.generate();
const { account } = await Account.create({ device: phone, transport: new HttpClient({ baseUrl: url, device: phone }) });

// A local-first replica with a typed call-history collection (kept 120 days).
const replica = await Replica.open({ account, store: new MemoryLocalStore() });
const calls = replica.collection('calls', callLogOptions());
await calls.put({ service: 'phone', direction: 'incoming', answered: false, peer: '+14155550123', startedAt: Date.now(), durationSec: 0 });

// Sealed once, its key wrapped for every device on the account: the server stores ciphertext.
const report = await replica.sync();
console.log(`pushed ${report.pushed}; missed calls here: ${(await listCalls(calls, { missed: true })).length}`);
await server.close();
