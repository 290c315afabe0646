import { MemoryLocalStore } from '../../src/sync/memoryLocalStore.js';
import { localStoreConformance } from './localStoreConformance.js';

localStoreConformance('MemoryLocalStore', async () => {
  const store = new MemoryLocalStore();
  return { store, cleanup: () => store.close() };
});
