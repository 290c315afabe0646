/**
 * The example in docs/enrollment.md §9 is this file's marked region, so it type-checks and runs
 * here; the test fails if the two drift apart.
 */
import { readFileSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { HttpClient } from '../../src/client/httpClient.js';
import { Device } from '../../src/core/device.js';
import { Account } from '../../src/enrollment/account.js';
import { ForkAlarm } from '../../src/enrollment/forkAlarm.js';
import { createPairingOffer, encodePairingOffer } from '../../src/enrollment/pairingOffer.js';
import { startEnrollmentServer, type EnrollmentEnv } from '../support/enrollmentServer.js';

interface Ui {
  showOnce(words: string): void;
  notify(message: string): void;
  confirm(question: string): Promise<boolean>;
  showCode(code: string): void;
}

// docs:begin
async function firstDevice(baseUrl: string, ui: Ui): Promise<Account<HttpClient>> {
  const device = await Device.generate();
  const { account, recoveryWords } = await Account.create({ device, transport: new HttpClient({ baseUrl, device }) });
  ui.showOnce(recoveryWords!); // with the account id: recovery needs both
  account.chain.subscribe((event) => {
    if (event.type === 'device-added') ui.notify('A new device was added to your account');
    if (event.type === 'recovery-started') ui.notify('Someone is recovering your account with your recovery words');
  });
  account.onSecurityWarning((warning) => {
    if (warning.code === 'PAIRING_OFFER_USED') ui.notify('Someone else answered this pairing code first: do not confirm on the new device');
  });
  return account;
}

async function approveScannedCode(account: Account<HttpClient>, scanned: string, ui: Ui): Promise<void> {
  await account.approveOffer(scanned, {
    confirm: () => ui.confirm('Add this device to your account?'),
    showSas: (code) => ui.showCode(code), // the person checks the new device shows the same
  });
}

async function joinByQr(baseUrl: string, show: (uri: string) => void, ui: Ui): Promise<Account<HttpClient>> {
  const device = await Device.generate();
  const offer = createPairingOffer(device, baseUrl);
  show(encodePairingOffer(offer));
  return Account.joinWithOffer({
    device,
    offer,
    transport: new HttpClient({ baseUrl, device }),
    connect: (d, accountId) => new HttpClient({ baseUrl, device: d, accountId }),
    confirmSas: (code) => ui.confirm(`Does your other device show ${code}?`),
  });
}

/** Before trusting a log checkpoint (a replica does this for each one it pulls): the chain head it names must verify. */
async function checkLogHead(account: Account<HttpClient>, chainHead: Uint8Array, ui: Ui): Promise<boolean> {
  try {
    await account.chain.checkHead(chainHead, account.transport);
    return true;
  } catch (error) {
    if (!(error instanceof ForkAlarm)) throw error;
    ui.notify(`Your sync server showed an inconsistent device list (${error.reason}); syncing is paused`);
    return false;
  }
}
// docs:end

let env: EnrollmentEnv;
beforeEach(async () => (env = await startEnrollmentServer({ realTime: true })));
afterEach(async () => env.stop());

describe('the example in docs/enrollment.md', () => {
  it('is the code in this file', () => {
    const source = readFileSync(new URL(import.meta.url), 'utf8');
    const region = source.slice(source.indexOf('// docs:begin\n') + 14, source.indexOf('// docs:end')).trim();
    const doc = readFileSync(new URL('../../docs/enrollment.md', import.meta.url), 'utf8');
    const block = /```ts\n(async function firstDevice[\s\S]*?)```/.exec(doc)?.[1]?.trim();
    expect(block).toBe(region);
  });

  it('runs: create, pair by QR comparing the codes, notice the new device, check heads', async () => {
    const notes: string[] = [];
    let showCode: (code: string) => void = () => {};
    const phoneShows = new Promise<string>((resolve) => (showCode = resolve));
    const ui: Ui = { showOnce: (w) => notes.push(`words:${w.split(' ').length}`), notify: (m) => notes.push(m), confirm: async () => true, showCode };
    // The person at the laptop says yes only to the code the phone shows.
    const laptopUi: Ui = { ...ui, confirm: async (question) => question.endsWith(`${await phoneShows}?`) };
    const phone = await firstDevice(env.url, ui);
    let show: (uri: string) => void = () => {};
    const shown = new Promise<string>((resolve) => (show = resolve));
    const [joined] = await Promise.all([joinByQr(env.url, show, laptopUi), shown.then((uri) => approveScannedCode(phone, uri, ui))]);
    expect(notes).toEqual(['words:24', 'A new device was added to your account']);
    expect(await checkLogHead(joined, phone.chain.head, ui)).toBe(true);
    expect(await checkLogHead(joined, new Uint8Array(32), ui)).toBe(false);
    expect(notes.at(-1)).toContain('unknown-head');
  });
});
