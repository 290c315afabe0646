/** docs/protocol.md §6 → padding.json: padded lengths, length validity, full examples and paddings
 * that must be refused.
 */
import { fromHex } from '../../src/crypto/bytes.js';
import { isPaddedLength, pad, paddedLength, unpad } from '../../src/core/padding.js';
import { check, hex, outcome, padTo, sameBytes, withByte } from './shared.js';

export function paddingVectors(): object {
  const dataLengths = [0, 1, 100, 255, 256, 257, 271, 272, 300, 511, 512, 1000, 1023, 1024, 4095, 65_535, 65_536, 1_000_000, 16_777_216];
  // E = floor(log2 m) is m's bit length − 1, computed on integers (§6). These sit on either side of
  // powers of two, where a floating-point log2 may round, up to m = 2^52; 3966 is a length whose
  // result changes if E is one too large (3968, not 4096).
  const bitLengthEdges = [510, 511, 3966, 2 ** 32 - 2, 2 ** 32 - 1, 2 ** 49 - 2, 2 ** 49 - 1, 2 ** 52 - 2, 2 ** 52 - 1];
  for (const n of bitLengthEdges) dataLengths.push(n);
  const lengths = dataLengths.map((n) => ({ dataLength: n, paddedLength: paddedLength(n) }));
  const probe = [0, 1, 255, 256, 257, 271, 272, 273, 288, 304, 512, 544, 576, 1024, 1088, 1152, 4096, 4352, 2 ** 32, 2 ** 52, 2 ** 52 + 2 ** 45, 2 ** 52 + 2 ** 46];
  const validLengths = probe.map((length) => ({ length, valid: isPaddedLength(length) }));
  const examples = [new Uint8Array(0), fromHex('f6'), fromHex('00'.repeat(255)), fromHex('01'.repeat(256))].map((data) => ({
    data: hex(data),
    padded: hex(pad(data)),
  }));
  for (const e of examples) sameBytes(unpad(fromHex(e.padded)), fromHex(e.data), 'unpad(pad(x))');
  const invalid = [
    { name: 'empty', padded: '', error: 'PADDING_INVALID' },
    { name: '255 bytes: not a padded length', padded: hex(padTo(new Uint8Array(0), 255)), error: 'PADDING_INVALID' },
    { name: '257 bytes: not a padded length', padded: hex(padTo(new Uint8Array(0), 257)), error: 'PADDING_INVALID' },
    { name: 'all zero: no marker', padded: hex(new Uint8Array(256)), error: 'PADDING_INVALID' },
    { name: 'last non-zero byte is 0x01', padded: hex(withByte(pad(new Uint8Array(3)), 200, 1)), error: 'PADDING_INVALID' },
    { name: 'marker byte is 0x81', padded: hex(withByte(pad(fromHex('f6')), 1, 0x81)), error: 'PADDING_INVALID' },
    { name: '10 data bytes padded to 272', padded: hex(padTo(new Uint8Array(10).fill(7), 272)), error: 'PADDING_INVALID' },
    { name: '300 data bytes padded to 336 instead of 304', padded: hex(padTo(new Uint8Array(300).fill(7), 336)), error: 'PADDING_INVALID' },
  ];
  for (const c of invalid) check(outcome(() => unpad(fromHex(c.padded))) === c.error, `unpad "${c.name}"`);
  return {
    description:
      'Padding: data ‖ 0x80 ‖ 0x00… to paddedLength(n). m = n + 1; if m ≤ 256 the length is 256; otherwise ' +
      'E = floor(log2 m), S = floor(log2 E) + 1, step = 2^(E − S), length = ceil(m / step) · step (Padmé on m). ' +
      'unpad accepts exactly the outputs of pad. See docs/protocol.md §6.',
    version: 1,
    lengths,
    validLengths,
    examples,
    invalid,
  };
}
