/**
 * Distinct, valid call records for the pipeline sections: a realistic mix of phone, FaceTime
 * and missed VoIP calls, deterministic in `i` (and the day) so every run syncs the same history.
 * They start 90 days ago, 3 s apart (a million span 35 days), so the call log's 120-day
 * retention keeps every one of them: a replica's `expire` would otherwise drop them mid-bench.
 */
import type { CallRecord } from '../src/core/callRecord.js';

const DAY_MS = 86_400_000;
const START = (Math.floor(Date.now() / DAY_MS) - 90) * DAY_MS;
const APPS = ['net.whatsapp.WhatsApp', 'org.telegram.Telegram', 'com.skype.skype', 'org.whispersystems.signal'];

/** The `i`-th call of a made-up history. */
export function callAt(i: number): CallRecord {
  const peer = `+1415${String(5_550_000 + ((i * 7919) % 1_000_000)).padStart(7, '0')}`;
  const startedAt = START + i * 3_000;
  switch (i % 4) {
    case 0:
      return { service: 'phone', direction: 'outgoing', answered: true, peer, startedAt, durationSec: 30 + (i % 900) };
    case 1:
      return { service: 'facetime-audio', direction: 'incoming', answered: true, peer, startedAt, durationSec: 5 + (i % 300) };
    case 2:
      return { service: 'voip', app: APPS[i % APPS.length]!, direction: 'incoming', answered: false, peer, startedAt, durationSec: 0 };
    default:
      return { service: 'facetime-video', direction: 'outgoing', answered: false, peer, startedAt, durationSec: 0 };
  }
}
