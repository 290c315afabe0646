/** Byte helpers shared by every layer. Inputs are plain Uint8Array; nothing here allocates secrets. */

import { ValidationError } from '../errors.js';

/** Constant-time equality of two byte arrays (length is not secret). */
export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i]! ^ b[i]!;
  return diff === 0;
}

/** Concatenates byte arrays into a fresh array. */
export function concatBytes(...parts: Uint8Array[]): Uint8Array {
  let total = 0;
  for (const p of parts) total += p.length;
  const out = new Uint8Array(total);
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.length;
  }
  return out;
}

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

/** Lower-case hex of `bytes`. */
export function toHex(bytes: Uint8Array): string {
  let s = '';
  for (let i = 0; i < bytes.length; i++) s += HEX[bytes[i]!];
  return s;
}

/**
 * Parses lower- or upper-case hex.
 * @throws {ValidationError} `HEX_INVALID` for odd lengths or non-hex characters.
 */
export function fromHex(hex: string): Uint8Array {
  if (hex.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(hex)) {
    throw new ValidationError('HEX_INVALID', 'expected an even-length hexadecimal string');
  }
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.slice(i * 2, i * 2 + 2), 16);
  return out;
}

const encoder = new TextEncoder();

/** UTF-8 bytes of `text`. */
export function utf8(text: string): Uint8Array {
  return encoder.encode(text);
}

/**
 * Checks that `value` is a Uint8Array of exactly `length` bytes.
 * @throws {ValidationError} `KEY_INVALID` (or the given code) otherwise.
 */
export function expectBytes(value: unknown, length: number, what: string, code = 'KEY_INVALID'): Uint8Array {
  if (!(value instanceof Uint8Array) || value.length !== length) {
    throw new ValidationError(code, `${what} must be a Uint8Array of ${length} bytes`);
  }
  return value;
}

/** Overwrites `bytes` with zeros. JavaScript cannot promise that no other copy exists. */
export function wipe(...arrays: (Uint8Array | undefined)[]): void {
  for (const a of arrays) a?.fill(0);
}

const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
const B64_INDEX = new Map([...B64].map((c, i) => [c, i]));

/** Unpadded base64url (RFC 4648 §5) of `bytes`. */
export function toBase64Url(bytes: Uint8Array): string {
  let out = '';
  for (let i = 0; i < bytes.length; i += 3) {
    const n = (bytes[i]! << 16) | ((bytes[i + 1] ?? 0) << 8) | (bytes[i + 2] ?? 0);
    const chars = Math.min(4, Math.ceil(((bytes.length - i) * 8) / 6));
    for (let k = 0; k < chars; k++) out += B64[(n >> (18 - 6 * k)) & 63];
  }
  return out;
}

/**
 * Parses unpadded base64url.
 * @throws {ValidationError} `BASE64_INVALID` for characters outside the alphabet or a bad length.
 */
export function fromBase64Url(text: string): Uint8Array {
  if (text.length % 4 === 1) throw new ValidationError('BASE64_INVALID', 'not a valid base64url length');
  const out = new Uint8Array(Math.floor((text.length * 6) / 8));
  let bits = 0;
  let acc = 0;
  let o = 0;
  for (const c of text) {
    const v = B64_INDEX.get(c);
    if (v === undefined) throw new ValidationError('BASE64_INVALID', 'not a base64url string');
    acc = (acc << 6) | v;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[o++] = (acc >> bits) & 0xff;
    }
  }
  return out;
}
