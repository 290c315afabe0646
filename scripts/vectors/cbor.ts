/** docs/protocol.md §7 → cbor.json: canonical and compact encodings, non-canonical inputs the
 * decoder accepts, inputs it refuses, and values the encoders refuse.
 */
import { fromHex } from '../../src/crypto/bytes.js';
import { decodeValue, encodeCanonical, encodeValue, type CborLimits } from '../../src/core/cbor.js';
import { CALL, check, hex, notation, outcome, sameValue } from './shared.js';

export function cborVectors(): object {
  const values: Array<[string, unknown]> = [
    ['zero', 0],
    ['largest one-byte head', 23],
    ['smallest 1-byte argument', 24],
    ['255', 255],
    ['256', 256],
    ['65536', 65_536],
    ['2^32 (8-byte argument)', 2 ** 32],
    ['milliseconds timestamp', 1_700_000_000_000],
    ['2^53 - 1, the largest accepted', Number.MAX_SAFE_INTEGER],
    ['-1', -1],
    ['-24', -24],
    ['-25', -25],
    ['-(2^53 - 1), the smallest accepted', -Number.MAX_SAFE_INTEGER],
    ['-0 is an integer: encodes as 0', -0],
    ['1.5 fits half precision', 1.5],
    ['0.1 needs double precision', 0.1],
    ['100000.5 fits single precision', 100_000.5],
    ['5.960464477539063e-8, the smallest half subnormal', 5.960464477539063e-8],
    ['NaN', NaN],
    ['Infinity', Infinity],
    ['-Infinity', -Infinity],
    ['false', false],
    ['true', true],
    ['null', null],
    ['empty text', ''],
    ['text', 'calls'],
    ['non-ASCII text', 'Zürich ☎ 😀'],
    ['empty bytes', new Uint8Array(0)],
    ['bytes', fromHex('00ff10')],
    ['empty array', []],
    ['nested array', [1, [2, 3], []]],
    ['empty map', {}],
    ['map keys sorted by encoded bytes: shorter first, then bytewise', { peer: 1, b: 2, a: 3, aa: 4, é: 5 }],
    ['call record', CALL],
  ];
  const canonical = values.map(([name, value]) => {
    const bytes = encodeCanonical(value);
    const decoded = decodeValue(bytes);
    // -0 comes back as 0 (it was written as an integer); everything else round-trips.
    check(Object.is(value, -0) ? decoded === 0 : sameValue(decoded, value), `round trip of ${name}`);
    return {
      name,
      value: notation(value),
      ...(Object.is(value, -0) ? { decoded: 0 } : {}),
      canonical: hex(bytes),
      compact: hex(encodeValue(value)),
    };
  });

  const accepts: Array<[string, string, unknown]> = [
    ['non-shortest integer head', '1805', 5],
    ['8-byte head for a small integer', '1b0000000000000005', 5],
    ['1.5 as a double', 'fb3ff8000000000000', 1.5],
    ['integral float decodes to the same number', 'fb4278bcfe56800000', 1_700_000_000_000],
    ['half-precision -0', 'f98000', -0],
    ['unsorted map keys', 'a2616201616102', { b: 1, a: 2 }],
    ['longer key before shorter key', 'a262616101616202', { aa: 1, b: 2 }],
    ['byte string', '43010203', fromHex('010203')],
  ];
  const decodeAccepts = accepts.map(([name, h, value]) => {
    check(sameValue(decodeValue(fromHex(h)), value), `accept ${name}`);
    return { name, cbor: h, value: notation(value) };
  });

  const rejects: Array<[string, string, string, Partial<CborLimits>?]> = [
    ['empty input', '', 'CBOR_TRUNCATED'],
    ['head cut short', '19ff', 'CBOR_TRUNCATED'],
    ['array count beyond the input', '830102', 'CBOR_TRUNCATED'],
    ['text length beyond the input', '6461', 'CBOR_TRUNCATED'],
    ['two items', '0102', 'CBOR_TRAILING_BYTES'],
    ['tag 1 (epoch time)', 'c11a5f5e1000', 'CBOR_UNSUPPORTED'],
    ['tag 2 (bignum)', 'c249010000000000000000', 'CBOR_UNSUPPORTED'],
    ['indefinite-length array', '9f01ff', 'CBOR_UNSUPPORTED'],
    ['indefinite-length text', '7f6161ff', 'CBOR_UNSUPPORTED'],
    ['undefined', 'f7', 'CBOR_UNSUPPORTED'],
    ['simple value 16', 'f0', 'CBOR_UNSUPPORTED'],
    ['two-byte simple value', 'f820', 'CBOR_UNSUPPORTED'],
    ['2^53', '1b0020000000000000', 'CBOR_UNSUPPORTED'],
    ['-(2^53)', '3b001fffffffffffff', 'CBOR_UNSUPPORTED'],
    ['integer map key', 'a10102', 'CBOR_UNSUPPORTED'],
    ['byte-string map key', 'a1416101', 'CBOR_UNSUPPORTED'],
    ['__proto__ map key', 'a1695f5f70726f746f5f5f01', 'CBOR_UNSUPPORTED'],
    ['duplicate map key', 'a2616101616102', 'CBOR_DUPLICATE_KEY'],
    ['reserved additional information 28', '1c', 'CBOR_MALFORMED'],
    ['stray break', 'ff', 'CBOR_MALFORMED'],
    ['indefinite marker on an integer', '1f', 'CBOR_MALFORMED'],
    ['invalid UTF-8 (lone continuation byte)', '6180', 'CBOR_MALFORMED'],
    ['overlong UTF-8', '62c0af', 'CBOR_MALFORMED'],
    ['UTF-8 surrogate', '63eda080', 'CBOR_MALFORMED'],
    ['input over maxBytes', '83010203', 'CBOR_TOO_LARGE', { maxBytes: 3 }],
    ['string over maxStringBytes', '6461626364', 'CBOR_TOO_LARGE', { maxStringBytes: 3 }],
    ['nesting over maxDepth', '81818101', 'CBOR_TOO_DEEP', { maxDepth: 2 }],
    ['items over maxItems', '83010203', 'CBOR_TOO_MANY_ITEMS', { maxItems: 3 }],
    ['17 nested arrays (default maxDepth is 16)', `${'81'.repeat(17)}01`, 'CBOR_TOO_DEEP'],
    // Where several rules apply, the first in §7's order decides (`order: …` cases).
    ['order: a map counts 2n items against the bytes left (2 pairs, 3 bytes: truncated at its head, not undefined)', 'a26161f7', 'CBOR_TRUNCATED'],
    ['order: the count is checked before the depth', 'a26161f7', 'CBOR_TRUNCATED', { maxDepth: 0 }],
    ['order: an empty array is a level of nesting (16 arrays, then an empty 17th)', `${'81'.repeat(16)}80`, 'CBOR_TOO_DEEP'],
    ['order: an empty map at depth 1 with maxDepth 0', 'a0', 'CBOR_TOO_DEEP', { maxDepth: 0 }],
    ['order: a bare f8 is an unsupported simple value, not a truncated head', 'f8', 'CBOR_UNSUPPORTED'],
    ['order: a bare f8 inside an array', '81f8', 'CBOR_UNSUPPORTED'],
    ['order: a bare f9 (half float) is truncated', 'f9', 'CBOR_TRUNCATED'],
    ['order: a tag with reserved additional information is a tag first', 'dc', 'CBOR_UNSUPPORTED'],
    ['order: maxBytes is checked before anything else', 'ffff', 'CBOR_TOO_LARGE', { maxBytes: 1 }],
    ['order: a string longer than the input is truncated before it is too large', '64616263', 'CBOR_TRUNCATED', { maxStringBytes: 2 }],
    ['order: reserved information in a map key is malformed before it is a non-text key', 'a11c01', 'CBOR_MALFORMED'],
    ['order: duplicate keys are found when the map closes, after a bad value inside it', 'a3616101616102616af7', 'CBOR_UNSUPPORTED'],
    ['order: an inner map closes, with its duplicate key, before the outer array reads on', '82a2616101616102f7', 'CBOR_DUPLICATE_KEY'],
    ['order: bytes after the item are not read: trailing, not a stray break', '01ff', 'CBOR_TRAILING_BYTES'],
    ['order: items are counted as they start (the 3rd of 3 is over maxItems 2)', '820101', 'CBOR_TOO_MANY_ITEMS', { maxItems: 2 }],
  ];
  const decodeRejects = rejects.map(([name, h, error, limits]) => {
    check(outcome(() => decodeValue(fromHex(h), limits)) === error, `reject ${name}: ${outcome(() => decodeValue(fromHex(h), limits))}`);
    return { name, cbor: h, ...(limits === undefined ? {} : { limits }), error };
  });

  const encodeRejectValues: Array<[string, unknown]> = [
    ['2^53', 2 ** 53],
    ['-(2^53)', -(2 ** 53)],
    ['lone surrogate in text', '\ud800'],
    ['lone surrogate in a key', { '\udc00': 1 }],
    ['17 nested arrays', JSON.parse(`${'['.repeat(17)}1${']'.repeat(17)}`)],
  ];
  const encodeRejects = encodeRejectValues.map(([name, value]) => {
    check(outcome(() => encodeCanonical(value)) === 'CBOR_UNSUPPORTED_VALUE', `encode reject ${name}`);
    check(outcome(() => encodeValue(value)) === 'CBOR_UNSUPPORTED_VALUE', `compact encode reject ${name}`);
    return { name, value: notation(value), error: 'CBOR_UNSUPPORTED_VALUE' };
  });

  return {
    description:
      'CBOR profile. `canonical` is RFC 8949 §4.2.1 deterministic encoding (encodeCanonical: used for anything ' +
      'signed or hashed); `compact` is what seal() writes for record bodies today (cbor-x: insertion key order, ' +
      'integers beyond ±2^32 and all non-integral numbers as float64). Both decode to `value`. decodeAccepts: ' +
      'non-canonical inputs the decoder must accept; decodeRejects: inputs it must refuse with `error` (under ' +
      '`limits` when given, else the defaults maxBytes 1 MiB, maxDepth 16, maxItems 10000, maxStringBytes 64 KiB); ' +
      'the cases named "order: …" break several rules at once and pin which one decides. ' +
      'Value notation: JSON, plus {"$bytes": hex} for a byte string and {"$float": "NaN" | "Infinity" | ' +
      '"-Infinity" | "-0"}. See docs/protocol.md §7.',
    version: 1,
    canonical,
    decodeAccepts,
    decodeRejects,
    encodeRejects,
  };
}
