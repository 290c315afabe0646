/**
 * Labelled BLAKE2b. Every derivation hashes `len(label) ‖ label ‖ parts…`: the one-byte length
 * makes the label prefix-free, and the parts the protocol feeds in are fixed-length, so the
 * concatenation is unambiguous. Secrets go in as the BLAKE2b key, never in the message.
 */
import { UsageError } from '../errors.js';
import type { CryptoProvider } from './provider.js';

const encoder = new TextEncoder();
const prefixes = new Map<string, Uint8Array>();

function labelPrefix(label: string): Uint8Array {
  let prefix = prefixes.get(label);
  if (prefix === undefined) {
    const bytes = encoder.encode(label);
    if (bytes.length === 0 || bytes.length > 255) {
      throw new UsageError('LABEL_INVALID', 'a domain-separation label is 1..255 bytes');
    }
    prefix = new Uint8Array(1 + bytes.length);
    prefix[0] = bytes.length;
    prefix.set(bytes, 1);
    prefixes.set(label, prefix);
  }
  return prefix;
}

/** `label`-prefixed message bytes: `len(label) ‖ label ‖ parts…`. */
export function labelled(label: string, ...parts: Uint8Array[]): Uint8Array {
  const prefix = labelPrefix(label);
  let total = prefix.length;
  for (const p of parts) total += p.length;
  const out = new Uint8Array(total);
  out.set(prefix, 0);
  let offset = prefix.length;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.length;
  }
  return out;
}

/** Unkeyed labelled hash: BLAKE2b-`outLength`(len(label) ‖ label ‖ parts). */
export function labelledHash(suite: CryptoProvider, label: string, outLength: number, ...parts: Uint8Array[]): Uint8Array {
  return suite.blake2b(outLength, labelled(label, ...parts));
}

/** Keyed labelled derivation: BLAKE2b-`outLength`(key = secret; len(label) ‖ label ‖ parts). */
export function deriveKey(
  suite: CryptoProvider,
  label: string,
  secret: Uint8Array,
  outLength: number,
  ...parts: Uint8Array[]
): Uint8Array {
  return suite.blake2b(outLength, labelled(label, ...parts), secret);
}
