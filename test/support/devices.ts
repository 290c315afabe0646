import type { BackendName } from '../../src/crypto/provider.js';
import { Device } from '../../src/core/device.js';

export const BACKENDS: BackendName[] = ['sodium', 'noble'];

export async function makeDevices(n: number, backend: BackendName): Promise<Device[]> {
  const out: Device[] = [];
  for (let i = 0; i < n; i++) out.push(await Device.generate({ backend }));
  return out;
}

/** The cheapest Argon2id cost sealing accepts: OWASP's t = 4, m = 9 MiB (src/core/argon2Costs.ts). */
export const FAST_ARGON = { opsLimit: 4, memLimitBytes: 9 * 1024 * 1024 };

export const ACCOUNT = new Uint8Array(32).fill(0xac);
export const HEAD = new Uint8Array(32).fill(0x4e);

export const sampleCall = {
  service: 'voip',
  app: 'net.whatsapp.WhatsApp',
  direction: 'incoming',
  answered: false,
  peer: '+14155550123',
  startedAt: 1_700_000_000_000,
  durationSec: 0,
} as const;

/** Number of fast-check runs: small by default, larger with FC_RUNS=… */
export const FC_RUNS = Number(process.env.FC_RUNS ?? 100);
