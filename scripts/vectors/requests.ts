/** docs/protocol.md §22 → requests.json: signed HTTP requests, how a server URL becomes the
 * origin a request is signed for, what a changed field does to a signature, and what the header
 * parser makes of header sets.
 */
import { fromHex } from '../../src/crypto/bytes.js';
import { labelled } from '../../src/crypto/kdf.js';
import type { BackendName, CryptoProvider } from '../../src/crypto/provider.js';
import { encodeValue } from '../../src/core/cbor.js';
import {
  readAuthHeaders,
  REQUEST_BODY_LABEL,
  REQUEST_LABEL,
  requestBodyHash,
  requestOrigin,
  requestSigningMessage,
  signRequest,
  verifyRequestSignature,
} from '../../src/http/signing.js';
import type { BuiltChain } from './chain.js';
import { BACKENDS, check, drbg, flip, hex, labelTable, member, MINUTE, recording, replay, UPPER_T0, type Cast } from './shared.js';

/** requests.json: requests to the account of `built`, one of them posting its entry 2. */
export function requestsVectors(casts: Record<BackendName, Cast>, suite: CryptoProvider, built: BuiltChain): object {
  const cast = casts.sodium;
  const account = built.states[0]!.accountId;
  const accountHex = hex(account);
  const specs = [
    {
      name: 'GET a page of envelopes (empty body)',
      signer: 'phone',
      method: 'GET',
      origin: 'https://sync.example:443',
      pathAndQuery: `/v1/accounts/${accountHex}/envelopes?after=0&limit=500`,
      body: new Uint8Array(0),
      time: UPPER_T0 + 150_000,
    },
    {
      name: 'POST chain entry 2 (the rotation) with the head it extends; the rotated phone signs with the unchanged identity key',
      signer: 'phone-rotated',
      method: 'POST',
      origin: 'http://127.0.0.1:8787',
      pathAndQuery: `/v1/accounts/${accountHex}/chain`,
      body: encodeValue({ entry: built.entries[2]!.bytes, head: built.entries[1]!.hash }),
      time: UPPER_T0 + 2 * MINUTE + 250,
    },
  ];
  const requests = specs.map((r, k) => {
    const device = member(cast, r.signer);
    const rec = recording(drbg(suite, `request/${k}`));
    const headers = signRequest(device, { method: r.method, origin: r.origin, pathAndQuery: r.pathAndQuery, body: r.body, accountId: account, time: r.time }, rec.random);
    const nonce = rec.drawn();
    const bodyHash = requestBodyHash(suite, r.body);
    const fields = { method: r.method, origin: r.origin, pathAndQuery: r.pathAndQuery, bodyHash, accountId: account, deviceId: device.id, time: r.time, nonce };
    const message = requestSigningMessage(fields);
    const signed = labelled(REQUEST_LABEL, message);
    const signature = fromHex(headers['mks-signature']!);
    check(suite.ed25519Verify(signature, signed, device.public.identityKey), `request ${k} signature`);
    for (const b of BACKENDS) {
      const again = signRequest(member(casts[b], r.signer), { method: r.method, origin: r.origin, pathAndQuery: r.pathAndQuery, body: r.body, accountId: account, time: r.time }, replay(nonce));
      check(JSON.stringify(again) === JSON.stringify(headers), `request ${k} on ${b}`);
    }
    return {
      name: r.name,
      signer: r.signer,
      method: r.method,
      origin: r.origin,
      pathAndQuery: r.pathAndQuery,
      body: hex(r.body),
      bodyHashInput: hex(labelled(REQUEST_BODY_LABEL, r.body)),
      bodyHash: hex(bodyHash),
      accountId: accountHex,
      deviceId: hex(device.id),
      time: r.time,
      random: hex(nonce),
      nonce: hex(nonce),
      signingMessage: hex(message),
      signedBytes: hex(signed),
      signature: hex(signature),
      headers,
    };
  });

  // Verification: what a changed field does to request 0's signature.
  const r0 = requests[0]!;
  const base = {
    method: r0.method,
    origin: r0.origin,
    pathAndQuery: r0.pathAndQuery,
    bodyHash: r0.bodyHash,
    accountId: r0.accountId,
    deviceId: r0.deviceId,
    time: r0.time,
    nonce: r0.nonce,
    identityKey: hex(member(cast, 'phone').public.identityKey),
    signature: r0.signature,
  };
  const verify = [
    { name: 'as signed', ...base, valid: true },
    { name: 'method in lower case (upper-cased before signing and verifying)', ...base, method: 'get', valid: true },
    { name: 'method changed', ...base, method: 'POST', valid: false },
    { name: 'another host', ...base, origin: 'https://sync.example.org:443', valid: false },
    { name: 'another port', ...base, origin: 'https://sync.example:8443', valid: false },
    { name: 'http instead of https', ...base, origin: 'http://sync.example:443', valid: false },
    { name: 'the default port left out', ...base, origin: 'https://sync.example', valid: false },
    { name: 'query changed', ...base, pathAndQuery: r0.pathAndQuery.replace('after=0', 'after=1'), valid: false },
    { name: 'query dropped', ...base, pathAndQuery: r0.pathAndQuery.split('?')[0]!, valid: false },
    { name: 'a prefix kept in front of /v1', ...base, pathAndQuery: `/sync${r0.pathAndQuery}`, valid: false },
    { name: 'a body added', ...base, bodyHash: hex(requestBodyHash(suite, new Uint8Array([0xa0]))), valid: false },
    { name: 'time one millisecond later', ...base, time: r0.time + 1, valid: false },
    { name: 'another nonce', ...base, nonce: hex(flip(fromHex(r0.nonce), 0)), valid: false },
    { name: 'another account', ...base, accountId: hex(flip(account, 0)), valid: false },
    { name: "the laptop's device id", ...base, deviceId: hex(member(cast, 'laptop').id), valid: false },
    { name: "checked against the laptop's identity key", ...base, identityKey: hex(member(cast, 'laptop').public.identityKey), valid: false },
    { name: 'signature byte flipped', ...base, signature: hex(flip(fromHex(r0.signature), 10)), valid: false },
  ];
  for (const v of verify) {
    for (const b of BACKENDS) {
      const s = member(casts[b], 'phone').suite;
      const ok = verifyRequestSignature(
        s,
        fromHex(v.identityKey),
        { method: v.method, origin: v.origin, pathAndQuery: v.pathAndQuery, bodyHash: fromHex(v.bodyHash), accountId: fromHex(v.accountId), deviceId: fromHex(v.deviceId), time: v.time, nonce: fromHex(v.nonce) },
        fromHex(v.signature),
      );
      check(ok === v.valid, `request verify "${v.name}" on ${b}`);
    }
  }

  // How a server URL becomes the origin signed: scheme and host in lower case, the port always
  // written, IPv6 in brackets and RFC 5952 form, a trailing path ignored.
  const origins = [
    { url: 'https://sync.example', origin: 'https://sync.example:443' },
    { url: 'https://Sync.EXAMPLE/', origin: 'https://sync.example:443' },
    { url: 'HTTPS://sync.example:443/base/', origin: 'https://sync.example:443' },
    { url: 'http://sync.example', origin: 'http://sync.example:80' },
    { url: 'http://127.0.0.1:8787', origin: 'http://127.0.0.1:8787' },
    { url: 'https://sync.example:08443', origin: 'https://sync.example:8443' },
    { url: 'http://[0:0:0:0:0:0:0:1]:8787', origin: 'http://[::1]:8787' },
    { url: 'https://[2001:DB8:0:0:1:0:0:1]', origin: 'https://[2001:db8::1:0:0:1]:443' },
    { url: 'https://bücher.example', origin: 'https://xn--bcher-kva.example:443' },
  ];
  for (const o of origins) check(requestOrigin(o.url) === o.origin, `origin of ${o.url}`);

  const h0: Record<string, string | undefined> = r0.headers;
  const headerCases: Array<{ name: string; headers: Record<string, string | undefined>; result: string }> = [
    { name: 'as sent', headers: h0, result: 'ok' },
    { name: 'no mks-nonce', headers: { ...h0, 'mks-nonce': undefined }, result: 'missing' },
    { name: 'no headers at all', headers: {}, result: 'missing' },
    { name: 'account in upper-case hex', headers: { ...h0, 'mks-account': h0['mks-account']!.toUpperCase() }, result: 'malformed' },
    { name: 'device id of 15 bytes', headers: { ...h0, 'mks-device': h0['mks-device']!.slice(2) }, result: 'malformed' },
    { name: 'nonce of 15 bytes', headers: { ...h0, 'mks-nonce': h0['mks-nonce']!.slice(2) }, result: 'malformed' },
    { name: 'signature of 63 bytes', headers: { ...h0, 'mks-signature': h0['mks-signature']!.slice(2) }, result: 'malformed' },
    { name: 'time with a leading zero', headers: { ...h0, 'mks-time': `0${h0['mks-time']}` }, result: 'malformed' },
    { name: 'negative time', headers: { ...h0, 'mks-time': `-${h0['mks-time']}` }, result: 'malformed' },
    { name: 'time in seconds with a fraction', headers: { ...h0, 'mks-time': `${Math.floor(r0.time / 1000)}.5` }, result: 'malformed' },
    { name: 'time of 17 digits', headers: { ...h0, 'mks-time': '10000000000000000' }, result: 'malformed' },
  ].map((c) => ({
    name: c.name,
    headers: Object.fromEntries(Object.entries(c.headers).filter(([, v]) => v !== undefined)) as Record<string, string>,
    result: c.result,
    serverError: c.result === 'missing' ? 'AUTH_REQUIRED' : c.result === 'malformed' ? 'BAD_REQUEST' : null,
  }));
  for (const c of headerCases) check(readAuthHeaders((n) => c.headers[n]).kind === c.result, `headers "${c.name}"`);

  return {
    description:
      'Signed HTTP requests. bodyHash = BLAKE2b-256(bodyHashInput = len(l) ‖ l ‖ body), l = "multikey-sync/v1/request-body"; ' +
      'signingMessage = canonical CBOR [METHOD, origin, pathAndQuery, bodyHash, accountId, deviceId, time, nonce] (text, text, text, ' +
      'bytes, bytes, bytes, integer, bytes), origin = scheme://host:port of the server called (`origins`: server URLs and the ' +
      'origin each gives); signature = Ed25519(identity seed of `signer`, signedBytes = len(label) ‖ ' +
      'label ‖ signingMessage); random = the 16-byte nonce drawn. `verify`: fields, key and signature, and whether it ' +
      'verifies (a server answers 401 SIGNATURE_INVALID when not). `headers`: what the header parser makes of them ' +
      '(missing → AUTH_REQUIRED, malformed → BAD_REQUEST). Devices are named as in chain.json. See docs/protocol.md ' +
      '§22 and docs/server.md "Signing".',
    version: 1,
    labels: labelTable({ request: REQUEST_LABEL, requestBody: REQUEST_BODY_LABEL }),
    origins,
    requests,
    verify,
    headers: headerCases,
  };
}
