/**
 * The database drivers are optional peer dependencies: a browser app that installs
 * multikey-sync gets neither a native module (better-sqlite3) nor pg, and a Node app installs
 * the one it uses. The SQLite and PostgreSQL adapters load their driver here, on first open,
 * and a missing driver becomes one error that names the package and how to install it.
 */
import { UsageError } from '../errors.js';

/** The drivers, with the range this version is tested with. */
export const OPTIONAL_DEPENDENCIES = {
  'better-sqlite3': '12',
  pg: '8',
} as const;

/** A driver's package name. */
export type OptionalDependency = keyof typeof OPTIONAL_DEPENDENCIES;

function isMissing(error: unknown, name: string): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  const message = (error as { message?: unknown } | null)?.message;
  return (
    (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') &&
    typeof message === 'string' &&
    (message.includes(`'${name}'`) || message.includes(`"${name}"`))
  );
}

/**
 * Runs `load` (a literal `import('name')`, so bundlers see the name) and returns the module's
 * default export, or the module itself when it has none.
 * @throws {UsageError} `DEPENDENCY_MISSING` naming the package and the install command when it
 *   is not installed; anything else the import throws, unchanged.
 */
export async function loadOptional<T>(name: OptionalDependency, user: string, load: () => Promise<{ default?: T } & object>): Promise<T> {
  let loaded: { default?: T } & object;
  try {
    loaded = await load();
  } catch (error) {
    if (!isMissing(error, name)) throw error;
    const version = OPTIONAL_DEPENDENCIES[name];
    throw new UsageError(
      'DEPENDENCY_MISSING',
      `${user} needs the package "${name}", which is not installed: run \`npm install ${name}@${version}\` in your app ` +
        `(multikey-sync lists it as an optional peer dependency, so browser apps do not install it)`,
      { cause: error },
    );
  }
  return loaded.default ?? (loaded as T);
}
