/** docs/protocol.md §20 → pairing.json: the QR offer (v2, with its commitment), the pairing code, both
 * channels' keys and mailbox ids, the sealed messages of both flows, must-fail messages, the
 * channel's size limit, the SAS, and the checks the new device makes after the welcome.
 */
import { concatBytes, equalBytes, fromHex, toBase64Url, utf8 } from '../../src/crypto/bytes.js';
import { deriveKey, labelled } from '../../src/crypto/kdf.js';
import { LABELS } from '../../src/crypto/labels.js';
import type { BackendName, CryptoProvider } from '../../src/crypto/provider.js';
import { encodeCanonical, encodeValue } from '../../src/core/cbor.js';
import { encodeDevicePublic } from '../../src/core/devicePublic.js';
import { decodeKeyStatement, makeKeyStatement } from '../../src/core/keyStatement.js';
import type { EncodedEntry } from '../../src/enrollment/chainEntry.js';
import { deviceKeys, makeAdd, signConsent } from '../../src/enrollment/chainOps.js';
import { DeviceChain } from '../../src/enrollment/deviceChain.js';
import { ForkAlarm } from '../../src/enrollment/forkAlarm.js';
import { verifyJoin } from '../../src/enrollment/joinChain.js';
import {
  MAX_PAIRING_PLAINTEXT_BYTES,
  openPairingMessage,
  PAIRING_STEPS,
  pairingMailboxId,
  sealPairingMessage,
  type PairingStep,
} from '../../src/enrollment/pairingChannel.js';
import { createPairingCode, PAIRING_CODE_LABEL, pairingCodeSecret, parsePairingCode } from '../../src/enrollment/pairingCode.js';
import { openCommit, openConsent, openInvite, openReveal, openWelcome } from '../../src/enrollment/pairingMessages.js';
import { createPairingOffer, decodePairingOffer, DEFAULT_OFFER_TTL_MS, encodePairingOffer, PAIRING_OFFER_VERSION } from '../../src/enrollment/pairingOffer.js';
import { checkSasCommitment, sasCode, sasCommitment } from '../../src/enrollment/sas.js';
import type { BuiltChain } from './chain.js';
import {
  BACKENDS,
  check,
  drbg,
  flip,
  hex,
  labelTable,
  member,
  MINUTE,
  notation,
  outcome,
  recording,
  replay,
  sameBytes,
  UPPER_T0,
  type Cast,
  type LowOrderCard,
} from './shared.js';

const SERVER_URL = 'https://sync.example.net';
const URI_PREFIX = 'multikey-sync:pair?o=';

type Opener = 'commit' | 'invite' | 'reveal-qr' | 'reveal-code' | 'consent' | 'welcome';

function openAs(suite: CryptoProvider, opener: Opener, secret: Uint8Array, bytes: Uint8Array): unknown {
  switch (opener) {
    case 'commit':
      return openCommit(suite, secret, bytes);
    case 'invite':
      return openInvite(suite, secret, bytes);
    case 'reveal-qr':
      return openReveal(suite, secret, bytes, false);
    case 'reveal-code':
      return openReveal(suite, secret, bytes, true);
    case 'consent':
      return openConsent(suite, secret, bytes);
    case 'welcome':
      return openWelcome(suite, secret, bytes);
  }
}

const STEP_OF: Record<Opener, PairingStep> = {
  commit: PAIRING_STEPS.commit,
  invite: PAIRING_STEPS.invite,
  'reveal-qr': PAIRING_STEPS.reveal,
  'reveal-code': PAIRING_STEPS.reveal,
  consent: PAIRING_STEPS.consent,
  welcome: PAIRING_STEPS.welcome,
};

/** pairing.json: the QR pairing is chain entry 1 of `built`; the code pairing an alternative to its entry 4. */
export function pairingVectors(casts: Record<BackendName, Cast>, suite: CryptoProvider, built: BuiltChain, low: LowOrderCard): object {
  const cast = casts.sodium;
  const account = built.states[0]!.accountId;
  const card = (name: string) => encodeDevicePublic(member(cast, name).public);
  const statementOf = (name: string) => deviceKeys(member(cast, name)).keyStatement.bytes;

  // The offer the laptop shows before entry 1: it draws the secret, then the nonce it commits to.
  const offerAt = UPPER_T0 + 30_000;
  const offerRec = recording(drbg(suite, 'pairing/offer'));
  const offer = createPairingOffer(member(cast, 'laptop'), SERVER_URL, { now: offerAt, random: offerRec.random });
  const offerNonce = offer.nonce!;
  sameBytes(offer.commitment, sasCommitment(suite, card('laptop'), offerNonce), 'the offer commits to the laptop card and nonce');
  const uri = encodePairingOffer(offer);
  const offerMap = { v: PAIRING_OFFER_VERSION, dev: card('laptop'), s: offer.secret, c: offer.commitment, exp: offer.expiresAt, url: SERVER_URL };
  const offerCbor = encodeCanonical(offerMap);
  check(uri === `${URI_PREFIX}${toBase64Url(offerCbor)}`, 'offer URI layout');
  for (const b of BACKENDS) {
    const s = member(casts[b], 'laptop').suite;
    const decoded = decodePairingOffer(s, uri, offerAt);
    check(
      decoded.expiresAt === offer.expiresAt && equalBytes(decoded.secret, offer.secret) && equalBytes(decoded.commitment, offer.commitment) && decoded.serverUrl === SERVER_URL && decoded.nonce === undefined,
      `offer decodes on ${b}`,
    );
  }
  const uriOf = (value: unknown) => `${URI_PREFIX}${toBase64Url(encodeCanonical(value))}`;
  const payload = uri.slice(URI_PREFIX.length);
  // An offer whose payload is a multiple of 4 characters long, so that one more character makes it ≡ 1 (mod 4).
  let padUrl = SERVER_URL;
  while (toBase64Url(encodeCanonical({ ...offerMap, url: padUrl })).length % 4 !== 0) padUrl += '/x';
  const aligned = uriOf({ ...offerMap, url: padUrl });
  // No encoder writes 2^53 (it is not a safe integer): the canonical bytes of 2^53 − 1, patched to fb 4340000000000000.
  const safeMax = hex(encodeCanonical({ ...offerMap, exp: Number.MAX_SAFE_INTEGER }));
  check(safeMax.split('1b001fffffffffffff').length === 2, 'the largest safe exp appears once');
  const float2p53 = fromHex(safeMax.replace('1b001fffffffffffff', 'fb4340000000000000'));
  const withoutKey = (key: string) => Object.fromEntries(Object.entries(offerMap).filter(([k]) => k !== key));
  const offerDecodes = [
    { name: 'as shown', uri, now: offerAt, error: null },
    { name: 'one millisecond before it expires', uri, now: offer.expiresAt - 1, error: null },
    {
      name: 'written by a non-canonical encoder (keys in insertion order, exp as float64)',
      uri: `${URI_PREFIX}${toBase64Url(encodeValue(offerMap))}`,
      now: offerAt,
      error: null,
    },
    { name: 'a payload of a multiple of 4 characters', uri: aligned, now: offerAt, error: null },
    { name: 'the same payload with one more character (length ≡ 1 mod 4)', uri: `${aligned}A`, now: offerAt, error: 'PAIRING_OFFER_INVALID' },
    { name: 'at its expiry', uri, now: offer.expiresAt, error: 'PAIRING_OFFER_EXPIRED' },
    { name: 'scheme in upper case', uri: `MULTIKEY-SYNC:pair?o=${payload}`, now: offerAt, error: 'PAIRING_OFFER_INVALID' },
    { name: 'no payload', uri: URI_PREFIX, now: offerAt, error: 'PAIRING_OFFER_INVALID' },
    { name: 'payload with base64 padding', uri: `${uri}==`, now: offerAt, error: 'PAIRING_OFFER_INVALID' },
    { name: 'one payload character dropped', uri: uri.slice(0, -1), now: offerAt, error: 'PAIRING_OFFER_INVALID' },
    { name: 'version 1 (no commitment)', uri: uriOf({ ...withoutKey('c'), v: 1 }), now: offerAt, error: 'PAIRING_OFFER_INVALID' },
    { name: 'version 3', uri: uriOf({ ...offerMap, v: 3 }), now: offerAt, error: 'PAIRING_OFFER_INVALID' },
    { name: 'no commitment', uri: uriOf(withoutKey('c')), now: offerAt, error: 'PAIRING_OFFER_INVALID' },
    { name: 'commitment of 31 bytes', uri: uriOf({ ...offerMap, c: offer.commitment.subarray(0, 31) }), now: offerAt, error: 'PAIRING_OFFER_INVALID' },
    { name: 'secret of 31 bytes', uri: uriOf({ ...offerMap, s: offer.secret.subarray(0, 31) }), now: offerAt, error: 'PAIRING_OFFER_INVALID' },
    { name: 'an extra key', uri: uriOf({ ...offerMap, name: 'Laptop' }), now: offerAt, error: 'PAIRING_OFFER_INVALID' },
    { name: 'no url', uri: uriOf(withoutKey('url')), now: offerAt, error: 'PAIRING_OFFER_INVALID' },
    { name: 'ftp url', uri: uriOf({ ...offerMap, url: 'ftp://sync.example.net' }), now: offerAt, error: 'PAIRING_OFFER_INVALID' },
    { name: 'exp as text', uri: uriOf({ ...offerMap, exp: String(offer.expiresAt) }), now: offerAt, error: 'PAIRING_OFFER_INVALID' },
    { name: 'exp NaN (f97e00)', uri: uriOf({ ...offerMap, exp: NaN }), now: offerAt, error: 'PAIRING_OFFER_INVALID' },
    { name: 'exp +∞', uri: uriOf({ ...offerMap, exp: Infinity }), now: offerAt, error: 'PAIRING_OFFER_INVALID' },
    { name: 'exp −1', uri: uriOf({ ...offerMap, exp: -1 }), now: offerAt, error: 'PAIRING_OFFER_INVALID' },
    { name: 'exp with a fraction', uri: uriOf({ ...offerMap, exp: offer.expiresAt + 0.5 }), now: offerAt, error: 'PAIRING_OFFER_INVALID' },
    { name: 'exp 2^53 written as a float64 (not a safe integer)', uri: `${URI_PREFIX}${toBase64Url(float2p53)}`, now: offerAt, error: 'PAIRING_OFFER_INVALID' },
    { name: 'card binding fails', uri: uriOf({ ...offerMap, dev: flip(offerMap.dev, 128) }), now: offerAt, error: 'PAIRING_OFFER_INVALID' },
    { name: 'card with a low-order encryption key', uri: uriOf({ ...offerMap, dev: low.card }), now: offerAt, error: 'PAIRING_OFFER_INVALID' },
    { name: 'over 1024 characters', uri: uriOf({ ...offerMap, url: `${SERVER_URL}/${'x'.repeat(600)}` }), now: offerAt, error: 'PAIRING_OFFER_INVALID' },
  ];
  check(offerDecodes.find((c) => c.name === 'over 1024 characters')!.uri.length > 1024, 'the long offer is over 1024 characters');
  check((aligned.length - URI_PREFIX.length) % 4 === 0, 'the aligned payload is a multiple of 4');
  for (const c of offerDecodes) {
    for (const b of BACKENDS) {
      const got = outcome(() => decodePairingOffer(member(casts[b], 'laptop').suite, c.uri, c.now));
      check(got === (c.error ?? 'ok'), `offer "${c.name}" on ${b}: ${got}`);
    }
  }

  // The code pairing's rendezvous code.
  const codeRec = recording(drbg(suite, 'pairing/code'));
  const code = createPairingCode(codeRec.random);
  const digits = parsePairingCode(code);
  const codeSecret = pairingCodeSecret(suite, code);
  sameBytes(codeSecret, suite.blake2b(32, labelled(PAIRING_CODE_LABEL, utf8(digits))), 'code secret');
  const typo = `${digits.slice(0, 3)}${(Number(digits[3]) + 1) % 10}${digits.slice(4)}`;
  const swapped = `${digits.slice(0, 5)}${digits[6]}${digits[5]}${digits.slice(7)}`;
  check(digits[5] !== digits[6], 'the swap changes the code');
  const codeParses = [
    { name: 'as shown', typed: code, digits },
    { name: 'without separators', typed: digits, digits },
    { name: 'spaces and dots', typed: ` ${digits.slice(0, 3)} ${digits.slice(3, 6)}.${digits.slice(6)} `, digits },
    { name: 'en and em dashes', typed: `${digits.slice(0, 4)}\u2013${digits.slice(4, 8)}\u2014${digits.slice(8)}`, digits },
    { name: 'tab, no-break space and ideographic space (whitespace)', typed: `${digits.slice(0, 3)}\t${digits.slice(3, 6)}\u00a0${digits.slice(6, 8)}\u3000${digits.slice(8)}`, digits },
    { name: 'a leading byte-order mark and a trailing line separator (whitespace)', typed: `\ufeff${code}\u2028`, digits },
    { name: 'all zeros (check digit 0)', typed: '0000-0000-00', digits: '0000000000' },
    { name: 'one digit mistyped', typed: typo, digits: null },
    { name: 'neighbours swapped', typed: swapped, digits: null },
    { name: 'nine digits', typed: digits.slice(0, 9), digits: null },
    { name: 'eleven digits', typed: `${digits}0`, digits: null },
    { name: 'letter O for zero', typed: digits.replace(/0/g, 'O').replace(/^(\d)/, 'O'), digits: null },
    { name: 'Arabic-Indic digits', typed: [...digits].map((c) => String.fromCharCode(0x0660 + Number(c))).join(''), digits: null },
    { name: 'a zero-width space (not whitespace)', typed: `${digits.slice(0, 5)}\u200b${digits.slice(5)}`, digits: null },
    { name: 'U+0085, next line (not whitespace)', typed: `${digits.slice(0, 5)}\u0085${digits.slice(5)}`, digits: null },
  ].map((c) => ({ ...c, error: c.digits === null ? 'PAIRING_CODE_INVALID' : null }));
  for (const c of codeParses) {
    const got = outcome(() => parsePairingCode(c.typed));
    check(got === (c.error ?? 'ok'), `code "${c.name}": ${got}`);
    if (c.digits !== null) check(parsePairingCode(c.typed) === c.digits, `code "${c.name}" digits`);
  }

  // Messages. QR: the phone approves the laptop (chain entry 1). Code: the rotated phone
  // approves the tablet on the chain after entry 3 (an alternative to entry 4).
  const qrSecret = offer.secret;
  const consentEntry = built.entries[1]!.entry;
  const state3 = built.states[3]!;
  const qrApproverNonce = drbg(suite, 'pairing/qr/approver-nonce')(32);
  const approverNonce = drbg(suite, 'pairing/code/approver-nonce')(32);
  const joinerNonce = drbg(suite, 'pairing/code/joiner-nonce')(32);
  const codeAdd = makeAdd(member(cast, 'phone-rotated'), state3, deviceKeys(member(cast, 'tablet')), signConsent(member(cast, 'tablet'), account), {
    now: UPPER_T0 + 4 * MINUTE,
  });
  const commitment = sasCommitment(suite, card('tablet'), joinerNonce);
  const qrInvite = { a: account, h: built.states[0]!.head, dev: card('phone'), n: qrApproverNonce };
  const codeInvite = { a: account, h: state3.head, dev: card('phone-rotated'), n: approverNonce };
  const specs: Array<{ name: string; flow: 'qr' | 'code'; secret: Uint8Array; opener: Opener | 'used'; message: Record<string, unknown> }> = [
    { name: 'QR invite: phone → laptop (account, head after entry 0, card, nonce)', flow: 'qr', secret: qrSecret, opener: 'invite', message: qrInvite },
    { name: 'QR used marker: laptop → invite slot', flow: 'qr', secret: qrSecret, opener: 'used', message: { used: 1 } },
    { name: 'QR reveal: laptop → phone (the nonce its offer committed to)', flow: 'qr', secret: qrSecret, opener: 'reveal-qr', message: { n: offerNonce } },
    {
      name: 'QR consent: laptop → phone, once its user confirmed the codes (the ok and xk of chain entry 1)',
      flow: 'qr',
      secret: qrSecret,
      opener: 'consent',
      message: { ok: consentEntry.ok!, xk: consentEntry.xk! },
    },
    { name: 'QR welcome: phone → laptop (head and length after entry 1)', flow: 'qr', secret: qrSecret, opener: 'welcome', message: { h: built.entries[1]!.hash, l: 2 } },
    { name: 'code commit: tablet → phone', flow: 'code', secret: codeSecret, opener: 'commit', message: { c: commitment } },
    { name: 'code invite: phone → tablet (chain after entry 3, approver nonce)', flow: 'code', secret: codeSecret, opener: 'invite', message: codeInvite },
    { name: 'code used marker: tablet → invite slot', flow: 'code', secret: codeSecret, opener: 'used', message: { used: 1 } },
    { name: 'code reveal: tablet → phone (its card and nonce)', flow: 'code', secret: codeSecret, opener: 'reveal-code', message: { dev: card('tablet'), n: joinerNonce } },
    {
      name: 'code consent: tablet → phone, once its user confirmed the codes',
      flow: 'code',
      secret: codeSecret,
      opener: 'consent',
      message: { ok: signConsent(member(cast, 'tablet'), account), xk: statementOf('tablet') },
    },
    { name: 'code welcome: phone → tablet (the add in `codePairingAdd`)', flow: 'code', secret: codeSecret, opener: 'welcome', message: { h: codeAdd.hash, l: 5 } },
  ];
  sameBytes(consentEntry.xk!, statementOf('laptop'), 'entry 1 carries the laptop statement');
  const sealedMessages = specs.map((m, k) => {
    const step = m.opener === 'used' ? PAIRING_STEPS.invite : STEP_OF[m.opener];
    const nonce = drbg(suite, `pairing/message/${k}`)(24);
    const sealed = sealPairingMessage(suite, m.secret, step, m.message, replay(nonce));
    const id = pairingMailboxId(suite, m.secret, step);
    const plaintext = encodeCanonical(m.message);
    const key = deriveKey(suite, LABELS.pairingKey, m.secret, 32);
    sameBytes(sealed, concatBytes(nonce, suite.aeadEncrypt(key, nonce, plaintext, concatBytes(new Uint8Array([step]), id))), 'pairing message layout');
    for (const b of BACKENDS) {
      const s = member(casts[b], 'phone').suite;
      sameBytes(sealPairingMessage(s, m.secret, step, m.message, replay(nonce)), sealed, `pairing message ${k} on ${b}`);
      const opened = m.opener === 'used' ? openInvite(s, m.secret, sealed) : openAs(s, m.opener, m.secret, sealed);
      check(m.opener === 'used' ? opened === 'used' : opened !== 'used', `pairing message ${k} opens on ${b}`);
    }
    return {
      name: m.name,
      flow: m.flow,
      step,
      open: m.opener,
      mailboxId: hex(id),
      message: notation(m.message),
      plaintext: hex(plaintext),
      nonce: hex(nonce),
      aad: hex(concatBytes(new Uint8Array([step]), id)),
      sealed: hex(sealed),
    };
  });

  const channel = (name: string, secret: Uint8Array) => ({
    name,
    secret: hex(secret),
    keyInput: hex(labelled(LABELS.pairingKey)),
    key: hex(deriveKey(suite, LABELS.pairingKey, secret, 32)),
    mailboxes: Object.entries(PAIRING_STEPS).map(([stepName, step]) => ({
      step: stepName,
      byte: step,
      idInput: hex(labelled(LABELS.pairingMailbox, secret, new Uint8Array([step]))),
      id: hex(pairingMailboxId(suite, secret, step)),
    })),
  });

  // Must-fail messages.
  const msg = (k: number) => fromHex(sealedMessages[k]!.sealed);
  const sealAs = (secret: Uint8Array, step: PairingStep, message: Record<string, unknown>, k: number) =>
    sealPairingMessage(suite, secret, step, message, drbg(suite, `pairing/invalid/${k}`));
  const rawSealed = (secret: Uint8Array, step: PairingStep, plaintext: Uint8Array, k: number) => {
    const nonce = drbg(suite, `pairing/invalid/raw/${k}`)(24);
    const key = deriveKey(suite, LABELS.pairingKey, secret, 32);
    return concatBytes(nonce, suite.aeadEncrypt(key, nonce, plaintext, concatBytes(new Uint8Array([step]), pairingMailboxId(suite, secret, step))));
  };
  const version2Statement = statementOf('laptop').slice();
  version2Statement[0] = 2;
  const invalidMessages: Array<{ name: string; why: string; secret: 'qr' | 'code'; open: Opener; sealed: Uint8Array }> = [
    { name: 'invite opened as a consent', why: 'the step byte and mailbox id are the AAD: a message cannot move to another slot', secret: 'qr', open: 'consent', sealed: msg(0) },
    { name: 'QR invite opened with the code secret', why: 'another pairing, another key', secret: 'code', open: 'invite', sealed: msg(0) },
    { name: 'ciphertext byte flipped', why: 'the AEAD fails', secret: 'qr', open: 'invite', sealed: flip(msg(0), 30) },
    { name: 'nonce byte flipped', why: 'the nonce is part of the AEAD input', secret: 'qr', open: 'invite', sealed: flip(msg(0), 0) },
    { name: 'tag byte flipped', why: 'the AEAD fails', secret: 'qr', open: 'welcome', sealed: flip(msg(4), msg(4).length - 1) },
    { name: '39 bytes', why: 'shorter than nonce and tag', secret: 'qr', open: 'invite', sealed: msg(0).subarray(0, 39) },
    { name: 'QR reveal opened as a code reveal', why: 'a code reveal also carries dev', secret: 'qr', open: 'reveal-code', sealed: msg(2) },
    { name: 'code reveal opened as a QR reveal', why: 'a QR reveal has exactly n (the card came through the camera)', secret: 'code', open: 'reveal-qr', sealed: msg(8) },
    { name: 'invite without a nonce (a version 1 QR invite)', why: 'both flows\' invites carry a, h, dev and n', secret: 'qr', open: 'invite', sealed: sealAs(qrSecret, PAIRING_STEPS.invite, { a: account, h: qrInvite.h, dev: qrInvite.dev }, 0) },
    { name: 'invite with a 31-byte account', why: 'a is 32 bytes', secret: 'qr', open: 'invite', sealed: sealAs(qrSecret, PAIRING_STEPS.invite, { ...qrInvite, a: account.subarray(0, 31) }, 1) },
    { name: 'invite with an extra field', why: 'exactly the listed keys', secret: 'qr', open: 'invite', sealed: sealAs(qrSecret, PAIRING_STEPS.invite, { ...qrInvite, name: 'Phone' }, 2) },
    {
      name: 'invite whose approver card fails to verify',
      why: 'the card is checked on opening',
      secret: 'code',
      open: 'invite',
      sealed: sealAs(codeSecret, PAIRING_STEPS.invite, { ...codeInvite, dev: flip(card('phone-rotated'), 100) }, 3),
    },
    { name: 'used marker {used: 2}', why: 'the marker is exactly {used: 1}', secret: 'qr', open: 'invite', sealed: sealAs(qrSecret, PAIRING_STEPS.invite, { used: 2 }, 4) },
    { name: 'used marker {used: true}', why: 'the marker is exactly {used: 1}', secret: 'qr', open: 'invite', sealed: sealAs(qrSecret, PAIRING_STEPS.invite, { used: true }, 5) },
    { name: 'consent of 63 bytes', why: 'ok is 64 bytes', secret: 'qr', open: 'consent', sealed: sealAs(qrSecret, PAIRING_STEPS.consent, { ok: consentEntry.ok!.subarray(0, 63), xk: consentEntry.xk! }, 6) },
    { name: 'consent without a key statement (a version 1 QR consent)', why: 'a consent is ok and xk', secret: 'qr', open: 'consent', sealed: sealAs(qrSecret, PAIRING_STEPS.consent, { ok: consentEntry.ok! }, 7) },
    { name: 'consent with a key statement of 1300 bytes', why: 'xk is 1301 bytes', secret: 'qr', open: 'consent', sealed: sealAs(qrSecret, PAIRING_STEPS.consent, { ok: consentEntry.ok!, xk: consentEntry.xk!.subarray(0, 1300) }, 8) },
    { name: 'consent whose key statement has version byte 2', why: 'the statement is decoded on opening (its signature is the chain rules\' business)', secret: 'qr', open: 'consent', sealed: sealAs(qrSecret, PAIRING_STEPS.consent, { ok: consentEntry.ok!, xk: version2Statement }, 9) },
    { name: 'code reveal without the nonce', why: 'the reveal is dev and n', secret: 'code', open: 'reveal-code', sealed: sealAs(codeSecret, PAIRING_STEPS.reveal, { dev: card('tablet') }, 10) },
    { name: 'welcome with a negative length', why: 'l is a non-negative integer', secret: 'qr', open: 'welcome', sealed: sealAs(qrSecret, PAIRING_STEPS.welcome, { h: built.entries[1]!.hash, l: -2 }, 11) },
    { name: 'welcome with a fractional length', why: 'l is an integer', secret: 'qr', open: 'welcome', sealed: sealAs(qrSecret, PAIRING_STEPS.welcome, { h: built.entries[1]!.hash, l: 2.5 }, 12) },
    { name: 'commitment of 16 bytes', why: 'c is 32 bytes', secret: 'code', open: 'commit', sealed: sealAs(codeSecret, PAIRING_STEPS.commit, { c: commitment.subarray(0, 16) }, 13) },
    { name: 'plaintext is an array', why: 'every message is a map', secret: 'qr', open: 'welcome', sealed: rawSealed(qrSecret, PAIRING_STEPS.welcome, encodeCanonical([built.entries[1]!.hash, 2]), 0) },
    { name: 'plaintext is not one CBOR item', why: 'a byte after the map', secret: 'qr', open: 'welcome', sealed: rawSealed(qrSecret, PAIRING_STEPS.welcome, concatBytes(fromHex(sealedMessages[4]!.plaintext), new Uint8Array(1)), 1) },
  ];
  const secretOf = { qr: qrSecret, code: codeSecret };
  for (const c of invalidMessages) {
    for (const b of BACKENDS) {
      const got = outcome(() => openAs(member(casts[b], 'phone').suite, c.open, secretOf[c.secret], c.sealed));
      check(got === 'PAIRING_MESSAGE_INVALID', `pairing must-fail "${c.name}" on ${b}: ${got}`);
    }
  }
  check(outcome(() => decodeKeyStatement(version2Statement)) === 'KEY_STATEMENT_MALFORMED', 'the version-2 statement does not decode');

  // §20.2's 32 KiB: the plaintext as a whole. {p: n zero bytes} is n + 6 bytes of CBOR (a1 61 70 59 hi lo).
  const channelLimit = [
    { name: 'a plaintext of exactly 32768 bytes opens', fill: MAX_PAIRING_PLAINTEXT_BYTES - 6, error: null },
    { name: 'a plaintext of 32769 bytes is refused', fill: MAX_PAIRING_PLAINTEXT_BYTES - 5, error: 'PAIRING_MESSAGE_INVALID' },
  ].map((c, k) => {
    const plaintext = encodeCanonical({ p: new Uint8Array(c.fill) });
    check(plaintext.length === c.fill + 6, 'the filler map is n + 6 bytes');
    const nonce = drbg(suite, `pairing/limit/${k}`)(24);
    const sealed = sealPairingMessage(suite, qrSecret, PAIRING_STEPS.welcome, { p: new Uint8Array(c.fill) }, replay(nonce));
    for (const b of BACKENDS) {
      const got = outcome(() => openPairingMessage(member(casts[b], 'phone').suite, qrSecret, PAIRING_STEPS.welcome, sealed));
      check(got === (c.error ?? 'ok'), `channel limit "${c.name}" on ${b}: ${got}`);
    }
    return { name: c.name, secret: 'qr', step: PAIRING_STEPS.welcome, plaintext: `{"p": ${c.fill} zero bytes}`, plaintextLength: plaintext.length, nonce: hex(nonce), sealedLength: sealed.length, error: c.error };
  });

  // SAS: both flows, a photographed QR code answered by someone else, and a server that put the stranger's card in.
  const otherAccount = drbg(suite, 'pairing/qr/another-account')(32);
  const sasCase = (name: string, acct: Uint8Array, newCard: string, approverCard: string, nNew: Uint8Array, nApprover: Uint8Array) => {
    const newBytes = card(newCard);
    const approverBytes = card(approverCard);
    const input = labelled(LABELS.sasCode, acct, newBytes, approverBytes, nNew, nApprover);
    const h = suite.blake2b(16, input);
    const n40 = h[0]! * 2 ** 32 + h[1]! * 2 ** 24 + h[2]! * 2 ** 16 + h[3]! * 2 ** 8 + h[4]!;
    const value = n40 % 1_000_000;
    const shown = String(value).padStart(6, '0');
    const sas = `${shown.slice(0, 3)} ${shown.slice(3)}`;
    for (const b of BACKENDS) {
      check(sasCode(member(casts[b], 'phone').suite, acct, newBytes, approverBytes, nNew, nApprover) === sas, `SAS "${name}" on ${b}`);
    }
    return {
      name,
      account: hex(acct),
      newDevice: newCard,
      approver: approverCard,
      newNonce: hex(nNew),
      approverNonce: hex(nApprover),
      input: hex(input),
      hash: hex(h),
      first40Bits: n40,
      value,
      sas,
    };
  };
  const mitmNonce = drbg(suite, 'pairing/code/server-nonce')(32);
  const photographerNonce = drbg(suite, 'pairing/qr/photographer-nonce')(32);
  const sas = {
    commitments: [
      { name: "the QR offer's (the laptop's card and nonce)", device: 'laptop', nonce: hex(offerNonce), input: hex(labelled(LABELS.sasCommit, card('laptop'), offerNonce)), commitment: hex(offer.commitment) },
      { name: "the code pairing's (the tablet's)", device: 'tablet', nonce: hex(joinerNonce), input: hex(labelled(LABELS.sasCommit, card('tablet'), joinerNonce)), commitment: hex(commitment) },
    ],
    codes: [
      sasCase('QR: the code the phone and the laptop show', account, 'laptop', 'phone', offerNonce, qrApproverNonce),
      sasCase("QR: what the laptop shows when someone who photographed its offer answered with the stranger's device in another account", otherAccount, 'laptop', 'stranger', offerNonce, photographerNonce),
      sasCase('code: the code both devices show', account, 'tablet', 'phone-rotated', joinerNonce, approverNonce),
      sasCase("code: what the phone shows when the server swapped in the stranger's card and nonce", account, 'stranger', 'phone-rotated', mitmNonce, approverNonce),
      sasCase('all-zero nonces', account, 'laptop', 'phone', new Uint8Array(32), new Uint8Array(32)),
    ],
    commitmentMismatch: [
      { name: "the stranger's card revealed", commitment: 1, device: 'stranger', nonce: hex(joinerNonce), error: 'SAS_COMMITMENT_MISMATCH' },
      { name: 'another nonce revealed', commitment: 1, device: 'tablet', nonce: hex(mitmNonce), error: 'SAS_COMMITMENT_MISMATCH' },
      { name: "a QR reveal with the photographer's nonce", commitment: 0, device: 'laptop', nonce: hex(photographerNonce), error: 'SAS_COMMITMENT_MISMATCH' },
    ],
  };
  check(sas.codes[0]!.sas !== sas.codes[1]!.sas, 'the photographer gets another code');
  check(sas.codes[2]!.sas !== sas.codes[3]!.sas, 'the substituted card changes the SAS');
  for (const c of sas.commitmentMismatch) {
    const committed = fromHex(sas.commitments[c.commitment]!.commitment);
    check(outcome(() => checkSasCommitment(suite, committed, card(c.device), fromHex(c.nonce))) === c.error, `SAS mismatch "${c.name}"`);
  }

  const welcomeChecks = welcomeCheckVectors(casts, built, codeAdd, otherAccount);

  return {
    description:
      'Pairing, format v2. `offer`: the QR offer the laptop shows (random = the 32-byte secret, then the 32-byte ' +
      'nonce its commitment covers; the nonce stays on the laptop) and how decoding it at `now` must end (`error` ' +
      'null = accepted). `channels`: for the offer secret and the code secret, the message key (BLAKE2b-256, key = ' +
      'secret, message = keyInput) and the mailbox id of each step (BLAKE2b-256 of idInput). `messages`: each step ' +
      'of both flows, sealed = nonce ‖ XChaCha20-Poly1305(key, nonce, plaintext, aad = step ‖ mailboxId), plaintext ' +
      '= canonical CBOR of `message`; `open` names the reader\'s shape (a used marker opens as an invite and yields ' +
      '"used"). `invalidMessages` must fail with PAIRING_MESSAGE_INVALID. `channelLimit`: seal the described ' +
      'plaintext under the QR secret with `nonce` and open it. `code`: the rendezvous code (random = bytes drawn, 16 ' +
      'at a time) and typed spellings. `sas`: the commitments and 6-digit codes. `welcomeChecks`: what the new ' +
      'device concludes after the welcome, given chain.json\'s first `entries` entries plus `append`, the card and ' +
      'statement it sent, the invite and the welcome. Devices are named as in chain.json; account, heads and hashes ' +
      'are chain.json\'s. See docs/protocol.md §20.',
    version: 1,
    labels: labelTable({ pairingMailbox: LABELS.pairingMailbox, pairingKey: LABELS.pairingKey, pairingCode: PAIRING_CODE_LABEL, sasCommit: LABELS.sasCommit, sasCode: LABELS.sasCode }),
    steps: PAIRING_STEPS,
    maxPlaintextBytes: MAX_PAIRING_PLAINTEXT_BYTES,
    offer: {
      device: 'laptop',
      serverUrl: SERVER_URL,
      createdAt: offerAt,
      ttlMs: DEFAULT_OFFER_TTL_MS,
      random: hex(offerRec.drawn()),
      secret: hex(offer.secret),
      nonce: hex(offerNonce),
      commitment: hex(offer.commitment),
      expiresAt: offer.expiresAt,
      cbor: hex(offerCbor),
      uri,
      decode: offerDecodes,
    },
    code: {
      random: hex(codeRec.drawn()),
      digits,
      checkDigit: Number(digits[9]),
      display: code,
      secretInput: hex(labelled(PAIRING_CODE_LABEL, utf8(digits))),
      secret: hex(codeSecret),
      parse: codeParses,
    },
    channels: [channel('offer secret (QR pairing)', qrSecret), channel('code secret (code pairing)', codeSecret)],
    codePairingAdd: { entry: hex(codeAdd.bytes), hash: hex(codeAdd.hash) },
    messages: sealedMessages,
    invalidMessages: invalidMessages.map((c) => ({ ...c, sealed: hex(c.sealed), error: 'PAIRING_MESSAGE_INVALID' })),
    channelLimit,
    sas,
    welcomeChecks,
  };
}

/** §20.3, "After the welcome": the new device's checks of the chain it fetched, as `verifyJoin` makes them. */
function welcomeCheckVectors(casts: Record<BackendName, Cast>, built: BuiltChain, codeAdd: EncodedEntry, otherAccount: Uint8Array): object[] {
  const cast = casts.sodium;
  const E = built.entries;
  const account = built.states[0]!.accountId;
  const statementOf = (name: string) => deviceKeys(member(cast, name)).keyStatement.bytes;
  const laptopEpoch1 = makeKeyStatement(member(cast, 'laptop'), 1, drbg(member(cast, 'phone').suite, 'pairing/welcome/laptop-epoch-1')(32)).bytes;
  const laptop = { joiner: 'laptop', keyStatement: statementOf('laptop') };
  const qr = { account, head: E[0]!.hash, approver: 'phone' };
  const welcome1 = { head: E[1]!.hash, length: 2 };
  const cases: Array<{
    name: string;
    entries: number;
    append?: EncodedEntry[];
    joiner: string;
    keyStatement: Uint8Array;
    invite: { account: Uint8Array; head: Uint8Array; approver: string };
    welcome: { head: Uint8Array; length: number };
    error: string | null;
    reason?: string;
  }> = [
    { name: "the laptop's QR pairing: its add, by the inviting phone, active at once", entries: 2, ...laptop, invite: qr, welcome: welcome1, error: null },
    {
      name: "the tablet's code pairing (codePairingAdd after entry 3)",
      entries: 4,
      append: [codeAdd],
      joiner: 'tablet',
      keyStatement: statementOf('tablet'),
      invite: { account, head: E[3]!.hash, approver: 'phone-rotated' },
      welcome: { head: codeAdd.hash, length: 5 },
      error: null,
    },
    { name: 'the chain is not the invite\'s account', entries: 2, ...laptop, invite: { ...qr, account: otherAccount }, welcome: welcome1, error: 'FORK_ALARM', reason: 'diverged' },
    { name: "the invite's head is not in the chain", entries: 2, ...laptop, invite: { ...qr, head: flip(E[0]!.hash, 0) }, welcome: welcome1, error: 'FORK_ALARM', reason: 'unknown-head' },
    { name: "the welcome's head is not in the chain", entries: 2, ...laptop, invite: qr, welcome: { head: flip(E[1]!.hash, 0), length: 2 }, error: 'FORK_ALARM', reason: 'unknown-head' },
    { name: "the welcome's length does not put its head at index l − 1", entries: 2, ...laptop, invite: qr, welcome: { head: E[1]!.hash, length: 3 }, error: 'FORK_ALARM', reason: 'unknown-head' },
    { name: 'the welcome names an entry that is not an add (entry 2, the rotate)', entries: 3, ...laptop, invite: qr, welcome: { head: E[2]!.hash, length: 3 }, error: 'PAIRING_NOT_ADDED' },
    { name: "the welcome names another device's add (the laptop's, to the tablet)", entries: 2, joiner: 'tablet', keyStatement: statementOf('tablet'), invite: qr, welcome: welcome1, error: 'PAIRING_NOT_ADDED' },
    { name: "the add was signed by another device than the invite's", entries: 2, ...laptop, invite: { ...qr, approver: 'watch' }, welcome: welcome1, error: 'PAIRING_NOT_ADDED' },
    {
      name: "the add carries another key statement than the one this device sent (here its epoch-1 one)",
      entries: 2,
      joiner: 'laptop',
      keyStatement: laptopEpoch1,
      invite: qr,
      welcome: welcome1,
      error: 'PAIRING_NOT_ADDED',
    },
    {
      name: 'the add is a pending recovery add (the tablet, entry 4): not active at once',
      entries: 5,
      joiner: 'tablet',
      keyStatement: statementOf('tablet'),
      invite: { account, head: E[3]!.hash, approver: 'recovery' },
      welcome: { head: E[4]!.hash, length: 5 },
      error: 'PAIRING_NOT_ADDED',
    },
    { name: 'the device was removed since (entry 3)', entries: 4, ...laptop, invite: qr, welcome: welcome1, error: 'PAIRING_NOT_ADDED' },
  ];
  for (const c of cases) {
    for (const b of BACKENDS) {
      const suite = member(casts[b], 'phone').suite;
      const joiner = member(casts[b], c.joiner);
      const chain = DeviceChain.fromEntries(suite, [...E.slice(0, c.entries).map((e) => e.bytes), ...(c.append ?? []).map((e) => e.bytes)], {
        self: joiner.id,
        clock: () => UPPER_T0,
      });
      let got: string | null = 'ok';
      let reason: string | undefined;
      try {
        verifyJoin(chain, { card: joiner.public, keyStatement: decodeKeyStatement(c.keyStatement) }, { ...c.invite, approver: member(casts[b], c.invite.approver).public }, c.welcome);
      } catch (e) {
        got = (e as { code?: string }).code ?? 'not ours';
        if (e instanceof ForkAlarm) reason = e.reason;
      }
      check(got === (c.error ?? 'ok') && reason === c.reason, `welcome check "${c.name}" on ${b}: ${got} ${reason}`);
    }
  }
  return cases.map((c) => ({
    name: c.name,
    entries: c.entries,
    append: (c.append ?? []).map((e) => hex(e.bytes)),
    joiner: c.joiner,
    keyStatement: hex(c.keyStatement),
    invite: { account: hex(c.invite.account), head: hex(c.invite.head), approver: c.invite.approver },
    welcome: { head: hex(c.welcome.head), length: c.welcome.length },
    error: c.error,
    reason: c.reason ?? null,
  }));
}
