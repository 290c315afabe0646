/** Terminal output for the demo: headings, a progress bar, a QR code, two columns. */
import QRCode from 'qrcode';
import type { CallRecord } from 'multikey-sync';

const tty = process.stdout.isTTY === true;
const bold = (s: string) => (tty ? `\x1b[1m${s}\x1b[0m` : s);
const dim = (s: string) => (tty ? `\x1b[2m${s}\x1b[0m` : s);

export function heading(step: number, text: string): void {
  console.log(`\n${bold(`${step}. ${text}`)}`);
}

export function say(text: string): void {
  console.log(`   ${text}`);
}

export function note(text: string): void {
  console.log(`   ${dim(text)}`);
}

/** A progress bar on a terminal; a few plain lines elsewhere (CI logs). */
export function progress(label: string, total: number): (done: number) => void {
  let lastQuarter = -1;
  return (done) => {
    if (tty) {
      const width = 30;
      const filled = Math.round((done / total) * width);
      process.stdout.write(`\r   ${label} [${'█'.repeat(filled)}${' '.repeat(width - filled)}] ${done}/${total}`);
      if (done === total) process.stdout.write('\n');
    } else {
      const quarter = Math.floor((done / total) * 4);
      if (quarter !== lastQuarter) {
        lastQuarter = quarter;
        console.log(`   ${label}: ${done}/${total}`);
      }
    }
  };
}

/** The pairing offer as a QR code in the terminal, indented. */
export async function qr(text: string): Promise<void> {
  const art = await QRCode.toString(text, { type: 'utf8', errorCorrectionLevel: 'L', margin: 2 });
  for (const line of art.trimEnd().split('\n')) console.log(`      ${line}`);
}

/** How a device shows a call. */
export function formatCall(c: CallRecord): string {
  const when = new Date(c.startedAt).toISOString().slice(0, 16).replace('T', ' ');
  const what = c.service === 'voip' ? `${c.app?.split('.').pop()} (VoIP)` : c.service;
  const how = !c.answered ? (c.direction === 'incoming' ? 'missed' : 'no answer') : `${c.direction} ${c.durationSec}s`;
  return `${when}  ${c.peer}  ${what}, ${how}`;
}

/** Two columns side by side, each with a title. */
export function sideBySide(leftTitle: string, left: string[], rightTitle: string, right: string[]): void {
  const width = Math.max(leftTitle.length, ...left.map((l) => l.length)) + 3;
  console.log(`   ${bold(leftTitle.padEnd(width))}${bold(rightTitle)}`);
  for (let i = 0; i < Math.max(left.length, right.length); i++) {
    console.log(`   ${(left[i] ?? '').padEnd(width)}${right[i] ?? ''}`);
  }
}
