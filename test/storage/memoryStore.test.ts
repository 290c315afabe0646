import { MemoryStore } from '../../src/storage/index.js';
import { storeConformance } from './conformance.js';

storeConformance('MemoryStore', async (limits) => {
  const store = new MemoryStore(limits);
  return { store, cleanup: () => store.close() };
});
