/**
 * A realistic, reproducible call history: mostly phone calls, some FaceTime, and missed calls
 * from VoIP apps that report through CallKit (the calls the article says iCloud syncs too).
 * Numbers are in the reserved 555-01xx fiction range.
 */
import type { CallRecord } from 'multikey-sync';

const VOIP_APPS = ['net.whatsapp.WhatsApp', 'org.whispersystems.signal', 'com.skype.skype', 'com.viber'];
const DAY = 86_400_000;

/** A small deterministic generator, so every run shows the same history. */
function generator(seed: number): () => number {
  let x = seed >>> 0;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 2 ** 32;
  };
}

/** `count` calls over the last 110 days, oldest first. */
export function callHistory(count: number, now: number): CallRecord[] {
  const rand = generator(0x5eed);
  const contacts = Array.from({ length: 40 }, (_, i) => `+1${['415', '212', '617', '303'][i % 4]}55501${String(i).padStart(2, '0')}`);
  const calls: CallRecord[] = [];
  for (let i = 0; i < count; i++) {
    const startedAt = Math.floor(now - 110 * DAY + (i / count) * 109 * DAY + rand() * 3_600_000);
    const peer = contacts[Math.floor(rand() ** 2 * contacts.length)]!;
    const r = rand();
    const direction = rand() < 0.55 ? 'incoming' : 'outgoing';
    const answered = direction === 'outgoing' || rand() > 0.2;
    const durationSec = answered ? Math.floor(20 + rand() * 900) : 0;
    if (r < 0.7) calls.push({ service: 'phone', direction, answered, peer, startedAt, durationSec });
    else if (r < 0.8) calls.push({ service: 'facetime-audio', direction, answered, peer, startedAt, durationSec });
    else if (r < 0.88) calls.push({ service: 'facetime-video', direction, answered, peer, startedAt, durationSec });
    else {
      const app = VOIP_APPS[Math.floor(rand() * VOIP_APPS.length)]!;
      calls.push({ service: 'voip', app, direction: 'incoming', answered: false, peer, startedAt, durationSec: 0 });
    }
  }
  return calls;
}
