/**
 * The growable byte buffer both CBOR encoders write into, and the one scratch writer they share
 * so that an encoding allocates only its result. What a writer held (record bodies are
 * plaintext) is zeroed when the encoding is done: best effort, as JavaScript promises nothing.
 */
import { DEFAULT_CBOR_LIMITS, limitExceeded, type CborLimits } from './cborLimits.js';
import { unsupported } from './cborValue.js';

/** A byte buffer that grows on demand, up to `limits.maxBytes`, with CBOR heads and strings. */
export class ByteWriter {
  buf = new Uint8Array(1024);
  view = new DataView(this.buf.buffer);
  len = 0;
  limits: Readonly<CborLimits> = DEFAULT_CBOR_LIMITS;

  /**
   * Makes room for `n` more bytes, of which at least `least` will be written: growing stops at
   * what could be accepted anyway, judged by `least` so an estimate cannot refuse a value that
   * fits. (The encoders check the final length against `maxBytes` too.)
   */
  reserve(n: number, least = n): void {
    if (this.len + n <= this.buf.length) return;
    if (this.len + least > this.limits.maxBytes) {
      throw limitExceeded('maxBytes', this.limits);
    }
    const next = new Uint8Array(Math.max(this.buf.length * 2, this.len + n));
    next.set(this.buf.subarray(0, this.len));
    this.buf.fill(0);
    this.buf = next;
    this.view = new DataView(next.buffer);
  }

  bytes(b: Uint8Array): void {
    this.reserve(b.length);
    this.buf.set(b, this.len);
    this.len += b.length;
  }

  /** Initial byte plus argument in its shortest form (RFC 8949 §4.2.1). */
  head(major: number, arg: number): void {
    this.reserve(9, 1);
    const m = major << 5;
    if (arg < 24) {
      this.buf[this.len++] = m | arg;
    } else if (arg < 0x100) {
      this.buf[this.len++] = m | 24;
      this.buf[this.len++] = arg;
    } else if (arg < 0x10000) {
      this.buf[this.len++] = m | 25;
      this.view.setUint16(this.len, arg);
      this.len += 2;
    } else if (arg < 0x100000000) {
      this.buf[this.len++] = m | 26;
      this.view.setUint32(this.len, arg);
      this.len += 4;
    } else {
      this.buf[this.len++] = m | 27;
      this.view.setUint32(this.len, Math.floor(arg / 0x100000000));
      this.view.setUint32(this.len + 4, arg >>> 0);
      this.len += 8;
    }
  }

  /**
   * A text string under its shortest head; a lone surrogate is refused (UTF-8 cannot carry it). The
   * payload is written after room for the longest head its length allows (3 UTF-8 bytes per
   * UTF-16 unit), then moved back if the real length needs a shorter one, so a string is
   * measured and written in one pass.
   */
  text(s: string): void {
    const units = s.length;
    const most = units * 3;
    const room = most < 24 ? 1 : most < 0x100 ? 2 : most < 0x10000 ? 3 : 5;
    // Every UTF-16 unit takes at least one byte.
    this.reserve(room + most, 1 + units);
    const buf = this.buf;
    const from = this.len + room;
    let at = from;
    for (let i = 0; i < units; i++) {
      let c = s.charCodeAt(i);
      if (c < 0x80) {
        buf[at++] = c;
      } else if (c < 0x800) {
        buf[at++] = 0xc0 | (c >> 6);
        buf[at++] = 0x80 | (c & 0x3f);
      } else if (c < 0xd800 || c > 0xdfff) {
        buf[at++] = 0xe0 | (c >> 12);
        buf[at++] = 0x80 | ((c >> 6) & 0x3f);
        buf[at++] = 0x80 | (c & 0x3f);
      } else {
        const next = s.charCodeAt(i + 1); // NaN past the end
        // Checked before encoding, but a getter may return another string the second time.
        if (c > 0xdbff || !(next >= 0xdc00 && next <= 0xdfff)) throw unsupported('a string with a lone surrogate');
        i++;
        c = 0x10000 + ((c - 0xd800) << 10) + (next - 0xdc00);
        buf[at++] = 0xf0 | (c >> 18);
        buf[at++] = 0x80 | ((c >> 12) & 0x3f);
        buf[at++] = 0x80 | ((c >> 6) & 0x3f);
        buf[at++] = 0x80 | (c & 0x3f);
      }
    }
    const length = at - from;
    let h = this.len;
    if (length < 24) {
      buf[h++] = 0x60 | length;
    } else if (length < 0x100) {
      buf[h++] = 0x78;
      buf[h++] = length;
    } else if (length < 0x10000) {
      buf[h++] = 0x79;
      buf[h++] = length >> 8;
      buf[h++] = length & 0xff;
    } else {
      buf[h++] = 0x7a;
      this.view.setUint32(h, length);
      h += 4;
    }
    if (h < from) {
      buf.copyWithin(h, from, at);
      buf.fill(0, h + length, at); // the tail the move left behind, for releaseWriter's zeroing
    }
    this.len = h + length;
  }

  float64(value: number): void {
    this.reserve(9);
    this.buf[this.len++] = 0xfb;
    this.view.setFloat64(this.len, value);
    this.len += 8;
  }

  /** The bytes written so far, in a fresh array that owns its memory. */
  result(): Uint8Array {
    return this.buf.slice(0, this.len);
  }
}

// One scratch writer avoids allocating per call; an encoding started while another is under way
// (a getter that encodes) gets a writer of its own.
let scratch = new ByteWriter();
let scratchBusy = false;

/** A writer for one encoding under `limits`; hand it back with {@link releaseWriter}. */
export function acquireWriter(limits: Readonly<CborLimits>): ByteWriter {
  const writer = scratchBusy ? new ByteWriter() : scratch;
  scratchBusy = true;
  writer.limits = limits;
  return writer;
}

/** Zeroes what `writer` holds and makes the scratch writer available again. */
export function releaseWriter(writer: ByteWriter): void {
  writer.buf.fill(0, 0, writer.len);
  writer.len = 0;
  if (writer === scratch) {
    scratchBusy = false;
    // A huge encoding should not pin its buffer for the life of the page.
    if (writer.buf.length > 64 * 1024) scratch = new ByteWriter();
  }
}
