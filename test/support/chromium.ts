/**
 * The Chromium the browser tests drive with playwright-core (which downloads no browser):
 * Debian's /usr/bin/chromium where it is installed (CI installs it), else the build npm ci
 * installed from the registry (@sparticuz/chromium). Never a download of our own, never a skip.
 */
import { accessSync, constants } from 'node:fs';
import { ignoringSystemBinaries, registryChromium } from './registryBinaries.js';

/** Debian's package. */
export const SYSTEM_CHROMIUM = '/usr/bin/chromium';

/** A browser to launch. */
export interface ChromiumToLaunch {
  executablePath: string;
  /** Environment for the browser process (the parent's, plus what the build needs). */
  env: Record<string, string | undefined>;
  /** Where it came from, for messages. */
  source: string;
}

function executable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * Finds the browser (see the module comment); `MKS_TEST_IGNORE_SYSTEM_BINARIES=1` skips Debian's.
 * @throws Error when neither is there (run npm ci, or apt-get install -y chromium).
 */
export async function findChromium(): Promise<ChromiumToLaunch> {
  if (!ignoringSystemBinaries() && executable(SYSTEM_CHROMIUM)) {
    return { executablePath: SYSTEM_CHROMIUM, env: { ...process.env }, source: `Debian's ${SYSTEM_CHROMIUM}` };
  }
  const registry = await registryChromium();
  return { executablePath: registry.executablePath, env: { ...process.env, ...registry.env }, source: '@sparticuz/chromium (registry)' };
}
