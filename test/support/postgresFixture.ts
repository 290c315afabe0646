/**
 * PostgreSQL for a test file: the cluster that test/support/globalSetup.ts started for the
 * whole run (handed over with vitest's provide/inject), else `MKS_TEST_POSTGRES_URL` (an
 * external server), else a private cluster for this file. Missing binaries make the test
 * fail with the message from `startPostgres`; nothing is skipped.
 */
import { inject } from 'vitest';
import { createDatabase, startPostgres, type TestDatabase } from './postgres.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Superuser URL of the run's shared cluster, set by test/support/globalSetup.ts. */
    multikeySyncPostgresUrl?: string;
  }
}

/** A PostgreSQL server this test file may create databases in. */
export interface PostgresServer {
  /** Creates a database with a random name. */
  createDatabase(): Promise<TestDatabase>;
  /** Stops the server if this file started it. */
  release(): Promise<void>;
}

/**
 * Finds or starts a server (see the module comment).
 * @throws Error when no server can be found or started.
 */
export async function acquirePostgres(): Promise<PostgresServer> {
  const shared = inject('multikeySyncPostgresUrl') ?? process.env['MKS_TEST_POSTGRES_URL'];
  if (shared !== undefined && shared !== '') {
    return { createDatabase: () => createDatabase(shared), release: async () => undefined };
  }
  const cluster = await startPostgres();
  return { createDatabase: () => createDatabase(cluster.connectionString), release: () => cluster.stop() };
}
