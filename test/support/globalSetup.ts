/**
 * vitest globalSetup: one PostgreSQL cluster for the whole run, shared by every test file
 * through `inject('multikeySyncPostgresUrl')`; each file still creates its own databases.
 * Enable with `globalSetup: ['./test/support/globalSetup.ts']` in vitest.config.ts.
 */
import type { TestProject } from 'vitest/node';
import { startPostgres } from './postgres.js';
import type {} from './postgresFixture.js';

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const cluster = await startPostgres();
  project.provide('multikeySyncPostgresUrl', cluster.connectionString);
  return () => cluster.stop();
}
