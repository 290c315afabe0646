/** docs/protocol.md §20 → pairing.json: the QR offer, the pairing code, both channels' keys and
 * mailbox ids, the sealed messages of both flows, must-fail messages and the SAS.
 */
import { concatBytes, equalBytes, fromHex, toBase64Url, utf8 } from '../../src/crypto/bytes.js';
import { deriveKey, labelled } from '../../src/crypto/kdf.js';
import { LABELS } from '../../src/crypto/labels.js';
import type { BackendName, CryptoProvider } from '../../src/crypto/provider.js';
import { encodeCanonical, encodeValue } from '../../src/core/cbor.js';
import { encodeDevicePublic } from '../../src/core/devicePublic.js';
import { makeAdd, signConsent } from '../../src/enrollment/chainOps.js';
import { PAIRING_STEPS, pairingMailboxId, sealPairingMessage, type PairingStep } from '../../src/enrollment/pairingChannel.js';
import { createPairingCode, PAIRING_CODE_LABEL, pairingCodeSecret, parsePairingCode } from '../../src/enrollment/pairingCode.js';
import { openCommit, openConsent, openInvite, openWelcome } from '../../src/enrollment/pairingMessages.js';
import { createPairingOffer, decodePairingOffer, DEFAULT_OFFER_TTL_MS, encodePairingOffer } from '../../src/enrollment/pairingOffer.js';
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

type Opener = 'commit' | 'invite-qr' | 'invite-code' | 'consent-qr' | 'consent-code' | 'welcome';

function openAs(suite: CryptoProvider, opener: Opener, secret: Uint8Array, bytes: Uint8Array): unknown {
  switch (opener) {
    case 'commit':
      return openCommit(suite, secret, bytes);
    case 'invite-qr':
      return openInvite(suite, secret, bytes, false);
    case 'invite-code':
      return openInvite(suite, secret, bytes, true);
    case 'consent-qr':
      return openConsent(suite, secret, bytes, false);
    case 'consent-code':
      return openConsent(suite, secret, bytes, true);
    case 'welcome':
      return openWelcome(suite, secret, bytes);
  }
}

const STEP_OF: Record<Opener, PairingStep> = {
  commit: PAIRING_STEPS.commit,
  'invite-qr': PAIRING_STEPS.invite,
  'invite-code': PAIRING_STEPS.invite,
  'consent-qr': PAIRING_STEPS.consent,
  'consent-code': PAIRING_STEPS.consent,
  welcome: PAIRING_STEPS.welcome,
};

/** pairing.json: the QR pairing is chain entry 1 of `built`; the code pairing an alternative to its entry 4. */
export function pairingVectors(casts: Record<BackendName, Cast>, suite: CryptoProvider, built: BuiltChain, low: LowOrderCard): object {
  const cast = casts.sodium;
  const account = built.states[0]!.accountId;
  const card = (name: string) => encodeDevicePublic(member(cast, name).public);

  // The offer the laptop shows before entry 1.
  const offerAt = UPPER_T0 + 30_000;
  const offerRec = recording(drbg(suite, 'pairing/offer'));
  const offer = createPairingOffer(member(cast, 'laptop'), SERVER_URL, { now: offerAt, random: offerRec.random });
  const uri = encodePairingOffer(offer);
  const offerCbor = encodeCanonical({ v: 1, dev: card('laptop'), s: offer.secret, exp: offer.expiresAt, url: SERVER_URL });
  check(uri === `multikey-sync:pair?o=${toBase64Url(offerCbor)}`, 'offer URI layout');
  for (const b of BACKENDS) {
    const s = member(casts[b], 'laptop').suite;
    const decoded = decodePairingOffer(s, uri, offerAt);
    check(decoded.expiresAt === offer.expiresAt && equalBytes(decoded.secret, offer.secret) && decoded.serverUrl === SERVER_URL, `offer decodes on ${b}`);
  }
  const uriOf = (value: unknown) => `multikey-sync:pair?o=${toBase64Url(encodeCanonical(value))}`;
  const offerMap = { v: 1, dev: card('laptop'), s: offer.secret, exp: offer.expiresAt, url: SERVER_URL };
  const payload = uri.slice('multikey-sync:pair?o='.length);
  const offerDecodes = [
    { name: 'as shown', uri, now: offerAt, error: null },
    { name: 'one millisecond before it expires', uri, now: offer.expiresAt - 1, error: null },
    {
      name: 'written by a non-canonical encoder (keys in insertion order, exp as float64)',
      uri: `multikey-sync:pair?o=${toBase64Url(encodeValue(offerMap))}`,
      now: offerAt,
      error: null,
    },
    { name: 'at its expiry', uri, now: offer.expiresAt, error: 'PAIRING_OFFER_EXPIRED' },
    { name: 'scheme in upper case', uri: `MULTIKEY-SYNC:pair?o=${payload}`, now: offerAt, error: 'PAIRING_OFFER_INVALID' },
    { name: 'no payload', uri: 'multikey-sync:pair?o=', now: offerAt, error: 'PAIRING_OFFER_INVALID' },
    { name: 'payload with base64 padding', uri: `${uri}==`, now: offerAt, error: 'PAIRING_OFFER_INVALID' },
    { name: 'one payload character dropped', uri: uri.slice(0, -1), now: offerAt, error: 'PAIRING_OFFER_INVALID' },
    { name: 'version 2', uri: uriOf({ ...offerMap, v: 2 }), now: offerAt, error: 'PAIRING_OFFER_INVALID' },
    { name: 'secret of 31 bytes', uri: uriOf({ ...offerMap, s: offer.secret.subarray(0, 31) }), now: offerAt, error: 'PAIRING_OFFER_INVALID' },
    { name: 'an extra key', uri: uriOf({ ...offerMap, name: 'Laptop' }), now: offerAt, error: 'PAIRING_OFFER_INVALID' },
    { name: 'no url', uri: uriOf({ v: 1, dev: offerMap.dev, s: offerMap.s, exp: offerMap.exp }), now: offerAt, error: 'PAIRING_OFFER_INVALID' },
    { name: 'ftp url', uri: uriOf({ ...offerMap, url: 'ftp://sync.example.net' }), now: offerAt, error: 'PAIRING_OFFER_INVALID' },
    { name: 'exp as text', uri: uriOf({ ...offerMap, exp: String(offer.expiresAt) }), now: offerAt, error: 'PAIRING_OFFER_INVALID' },
    { name: 'card binding fails', uri: uriOf({ ...offerMap, dev: flip(offerMap.dev, 128) }), now: offerAt, error: 'PAIRING_OFFER_INVALID' },
    { name: 'card with a low-order encryption key', uri: uriOf({ ...offerMap, dev: low.card }), now: offerAt, error: 'PAIRING_OFFER_INVALID' },
    { name: 'over 1024 characters', uri: uriOf({ ...offerMap, url: `${SERVER_URL}/${'x'.repeat(600)}` }), now: offerAt, error: 'PAIRING_OFFER_INVALID' },
  ];
  check(offerDecodes.find((c) => c.name === 'over 1024 characters')!.uri.length > 1024, 'the long offer is over 1024 characters');
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
    { name: 'all zeros (check digit 0)', typed: '0000-0000-00', digits: '0000000000' },
    { name: 'one digit mistyped', typed: typo, digits: null },
    { name: 'neighbours swapped', typed: swapped, digits: null },
    { name: 'nine digits', typed: digits.slice(0, 9), digits: null },
    { name: 'eleven digits', typed: `${digits}0`, digits: null },
    { name: 'letter O for zero', typed: digits.replace(/0/g, 'O').replace(/^(\d)/, 'O'), digits: null },
    { name: 'Arabic-Indic digits', typed: [...digits].map((c) => String.fromCharCode(0x0660 + Number(c))).join(''), digits: null },
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
  const approverNonce = drbg(suite, 'pairing/code/approver-nonce')(32);
  const joinerNonce = drbg(suite, 'pairing/code/joiner-nonce')(32);
  const codeAdd = makeAdd(member(cast, 'phone-rotated'), state3, member(cast, 'tablet').public, signConsent(member(cast, 'tablet'), account), {
    now: UPPER_T0 + 4 * MINUTE,
  });
  const commitment = sasCommitment(suite, card('tablet'), joinerNonce);
  const specs: Array<{ name: string; flow: 'qr' | 'code'; secret: Uint8Array; opener: Opener | 'used'; message: Record<string, unknown> }> = [
    { name: 'QR invite: phone → laptop', flow: 'qr', secret: qrSecret, opener: 'invite-qr', message: { a: account, h: built.states[0]!.head, dev: card('phone') } },
    { name: 'QR used marker: laptop → invite slot', flow: 'qr', secret: qrSecret, opener: 'used', message: { used: 1 } },
    { name: 'QR consent: laptop → phone (the ok of chain entry 1)', flow: 'qr', secret: qrSecret, opener: 'consent-qr', message: { ok: consentEntry.ok! } },
    { name: 'QR welcome: phone → laptop (head and length after entry 1)', flow: 'qr', secret: qrSecret, opener: 'welcome', message: { h: built.entries[1]!.hash, l: 2 } },
    { name: 'code commit: tablet → phone', flow: 'code', secret: codeSecret, opener: 'commit', message: { c: commitment } },
    {
      name: 'code invite: phone → tablet (chain after entry 3, approver nonce)',
      flow: 'code',
      secret: codeSecret,
      opener: 'invite-code',
      message: { a: account, h: state3.head, dev: card('phone-rotated'), n: approverNonce },
    },
    {
      name: 'code consent: tablet → phone (the reveal)',
      flow: 'code',
      secret: codeSecret,
      opener: 'consent-code',
      message: { dev: card('tablet'), n: joinerNonce, ok: signConsent(member(cast, 'tablet'), account) },
    },
    { name: 'code welcome: phone → tablet (the add in `codePairingAdd`)', flow: 'code', secret: codeSecret, opener: 'welcome', message: { h: codeAdd.hash, l: 5 } },
  ];
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
      const opened = m.opener === 'used' ? openInvite(s, m.secret, sealed, false) : openAs(s, m.opener, m.secret, sealed);
      check(m.opener === 'used' ? opened === 'used' : opened !== null, `pairing message ${k} opens on ${b}`);
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
  const qrInvite = specs[0]!.message;
  const codeInvite = specs[5]!.message;
  const rawSealed = (secret: Uint8Array, step: PairingStep, plaintext: Uint8Array, k: number) => {
    const nonce = drbg(suite, `pairing/invalid/raw/${k}`)(24);
    const key = deriveKey(suite, LABELS.pairingKey, secret, 32);
    return concatBytes(nonce, suite.aeadEncrypt(key, nonce, plaintext, concatBytes(new Uint8Array([step]), pairingMailboxId(suite, secret, step))));
  };
  const invalidMessages: Array<{ name: string; why: string; secret: 'qr' | 'code'; open: Opener; sealed: Uint8Array }> = [
    { name: 'invite opened as a consent', why: 'the step byte and mailbox id are the AAD: a message cannot move to another slot', secret: 'qr', open: 'consent-qr', sealed: msg(0) },
    { name: 'QR invite opened with the code secret', why: 'another pairing, another key', secret: 'code', open: 'invite-qr', sealed: msg(0) },
    { name: 'ciphertext byte flipped', why: 'the AEAD fails', secret: 'qr', open: 'invite-qr', sealed: flip(msg(0), 30) },
    { name: 'nonce byte flipped', why: 'the nonce is part of the AEAD input', secret: 'qr', open: 'invite-qr', sealed: flip(msg(0), 0) },
    { name: 'tag byte flipped', why: 'the AEAD fails', secret: 'qr', open: 'welcome', sealed: flip(msg(3), msg(3).length - 1) },
    { name: '39 bytes', why: 'shorter than nonce and tag', secret: 'qr', open: 'invite-qr', sealed: msg(0).subarray(0, 39) },
    { name: 'QR invite opened as a code invite', why: 'a code invite also carries n', secret: 'qr', open: 'invite-code', sealed: msg(0) },
    { name: 'code invite opened as a QR invite', why: 'a QR invite has exactly a, h, dev', secret: 'code', open: 'invite-qr', sealed: msg(5) },
    { name: 'invite with a 31-byte account', why: 'a is 32 bytes', secret: 'qr', open: 'invite-qr', sealed: sealAs(qrSecret, PAIRING_STEPS.invite, { ...qrInvite, a: account.subarray(0, 31) }, 0) },
    { name: 'invite with an extra field', why: 'exactly the listed keys', secret: 'qr', open: 'invite-qr', sealed: sealAs(qrSecret, PAIRING_STEPS.invite, { ...qrInvite, name: 'Phone' }, 1) },
    {
      name: "invite whose approver card fails to verify",
      why: 'the card is checked on opening',
      secret: 'code',
      open: 'invite-code',
      sealed: sealAs(codeSecret, PAIRING_STEPS.invite, { ...codeInvite, dev: flip(card('phone-rotated'), 100) }, 2),
    },
    { name: 'consent of 63 bytes', why: 'ok is 64 bytes', secret: 'qr', open: 'consent-qr', sealed: sealAs(qrSecret, PAIRING_STEPS.consent, { ok: consentEntry.ok!.subarray(0, 63) }, 3) },
    { name: 'code consent without the nonce', why: 'the reveal is dev, n and ok', secret: 'code', open: 'consent-code', sealed: sealAs(codeSecret, PAIRING_STEPS.consent, { dev: card('tablet'), ok: consentEntry.ok! }, 4) },
    { name: 'welcome with a negative length', why: 'l is a non-negative integer', secret: 'qr', open: 'welcome', sealed: sealAs(qrSecret, PAIRING_STEPS.welcome, { h: built.entries[1]!.hash, l: -2 }, 5) },
    { name: 'welcome with a fractional length', why: 'l is an integer', secret: 'qr', open: 'welcome', sealed: sealAs(qrSecret, PAIRING_STEPS.welcome, { h: built.entries[1]!.hash, l: 2.5 }, 6) },
    { name: 'commitment of 16 bytes', why: 'c is 32 bytes', secret: 'code', open: 'commit', sealed: sealAs(codeSecret, PAIRING_STEPS.commit, { c: commitment.subarray(0, 16) }, 7) },
    { name: 'plaintext is an array', why: 'every message is a map', secret: 'qr', open: 'welcome', sealed: rawSealed(qrSecret, PAIRING_STEPS.welcome, encodeCanonical([built.entries[1]!.hash, 2]), 0) },
    { name: 'plaintext is not one CBOR item', why: 'a byte after the map', secret: 'qr', open: 'welcome', sealed: rawSealed(qrSecret, PAIRING_STEPS.welcome, concatBytes(fromHex(sealedMessages[3]!.plaintext), new Uint8Array(1)), 1) },
  ];
  const secretOf = { qr: qrSecret, code: codeSecret };
  for (const c of invalidMessages) {
    for (const b of BACKENDS) {
      const got = outcome(() => openAs(member(casts[b], 'phone').suite, c.open, secretOf[c.secret], c.sealed));
      check(got === 'PAIRING_MESSAGE_INVALID', `pairing must-fail "${c.name}" on ${b}: ${got}`);
    }
  }

  // SAS: the honest pairing, and a server that put the stranger's card in place of the tablet's.
  const sasCase = (name: string, newCard: string, approverCard: string, nNew: Uint8Array, nApprover: Uint8Array) => {
    const newBytes = card(newCard);
    const approverBytes = card(approverCard);
    const input = labelled(LABELS.sasCode, newBytes, approverBytes, nNew, nApprover);
    const h = suite.blake2b(16, input);
    const n40 = h[0]! * 2 ** 32 + h[1]! * 2 ** 24 + h[2]! * 2 ** 16 + h[3]! * 2 ** 8 + h[4]!;
    const value = n40 % 1_000_000;
    const shown = String(value).padStart(6, '0');
    const sas = `${shown.slice(0, 3)} ${shown.slice(3)}`;
    for (const b of BACKENDS) {
      check(sasCode(member(casts[b], 'phone').suite, newBytes, approverBytes, nNew, nApprover) === sas, `SAS "${name}" on ${b}`);
    }
    return { name, newDevice: newCard, approver: approverCard, newNonce: hex(nNew), approverNonce: hex(nApprover), input: hex(input), hash: hex(h), first40Bits: n40, value, sas };
  };
  const mitmNonce = drbg(suite, 'pairing/code/server-nonce')(32);
  const sas = {
    commitment: {
      device: 'tablet',
      nonce: hex(joinerNonce),
      input: hex(labelled(LABELS.sasCommit, card('tablet'), joinerNonce)),
      commitment: hex(commitment),
    },
    codes: [
      sasCase('the code both devices show', 'tablet', 'phone-rotated', joinerNonce, approverNonce),
      sasCase("what the phone shows when the server swapped in the stranger's card and nonce", 'stranger', 'phone-rotated', mitmNonce, approverNonce),
      sasCase('all-zero nonces', 'laptop', 'phone', new Uint8Array(32), new Uint8Array(32)),
    ],
    commitmentMismatch: [
      { name: "the stranger's card revealed", device: 'stranger', nonce: hex(joinerNonce), error: 'SAS_COMMITMENT_MISMATCH' },
      { name: 'another nonce revealed', device: 'tablet', nonce: hex(mitmNonce), error: 'SAS_COMMITMENT_MISMATCH' },
    ],
  };
  check(sas.codes[0]!.sas !== sas.codes[1]!.sas, 'the substituted card changes the SAS');
  for (const c of sas.commitmentMismatch) {
    check(outcome(() => checkSasCommitment(suite, commitment, card(c.device), fromHex(c.nonce))) === c.error, `SAS mismatch "${c.name}"`);
  }

  return {
    description:
      'Pairing. `offer`: the QR offer the laptop shows (random = the 32-byte secret it drew) and how decoding it at ' +
      '`now` must end (`error` null = accepted). `channels`: for the offer secret and the code secret, the message ' +
      'key (BLAKE2b-256, key = secret, message = keyInput) and the mailbox id of each step (BLAKE2b-256 of idInput). ' +
      '`messages`: each step of both flows, sealed = nonce ‖ XChaCha20-Poly1305(key, nonce, plaintext, aad = step ‖ ' +
      'mailboxId), plaintext = canonical CBOR of `message`; `open` names the reader\'s shape (the used marker opens as ' +
      'a QR invite and yields "used"). `invalidMessages` must fail with PAIRING_MESSAGE_INVALID. `code`: the ' +
      'rendezvous code (random = bytes drawn, 16 at a time) and typed spellings. `sas`: the commitment and 6-digit ' +
      'codes. Devices are named as in chain.json; account, heads and hashes are chain.json\'s. See docs/protocol.md §20.',
    version: 1,
    labels: labelTable({ pairingMailbox: LABELS.pairingMailbox, pairingKey: LABELS.pairingKey, pairingCode: PAIRING_CODE_LABEL, sasCommit: LABELS.sasCommit, sasCode: LABELS.sasCode }),
    steps: PAIRING_STEPS,
    offer: {
      device: 'laptop',
      serverUrl: SERVER_URL,
      createdAt: offerAt,
      ttlMs: DEFAULT_OFFER_TTL_MS,
      random: hex(offerRec.drawn()),
      secret: hex(offer.secret),
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
    sas,
  };
}
