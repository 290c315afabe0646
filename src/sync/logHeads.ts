/**
 * The log heads this device has verified, one per sender: position, checkpoint hash and the
 * checkpoint's time. A checkpoint must extend its sender's head by exactly one; the heads a
 * checkpoint says its sender had seen of other devices must not be ahead of this device's (the
 * signer saw them before it pushed, so they precede it in the server's order). Anything else is
 * a log the server cut short or forked for this device, and is reported.
 */
import { CodecError } from '../errors.js';
import { equalBytes, fromHex, toHex } from '../crypto/bytes.js';
import { decodeValue, encodeCanonical } from '../core/cbor.js';
import type { Checkpoint } from '../core/logCheckpoint.js';

/** One sender's verified head. */
export interface LogHead {
  readonly position: number;
  readonly hash: Uint8Array;
  /** The checkpoint's own time (the sender's clock). */
  readonly time: number;
}

/** Something wrong with a sender's log as this server shows it. */
export interface LogIssue {
  /** The device whose log it is. */
  readonly device: Uint8Array;
  /** `gap`: checkpoints before `position` were not delivered; `fork`: two checkpoints at one position. */
  readonly kind: 'gap' | 'fork';
  readonly position: number;
}

/** What a checkpoint does to the heads. */
export type Continuity = 'next' | 'duplicate' | 'gap' | 'fork';

/** Verified heads by sender. */
export class LogHeads {
  readonly #heads = new Map<string, LogHead>();

  /** The head of `device`, if any checkpoint of it was verified. */
  head(device: Uint8Array): LogHead | undefined {
    return this.#heads.get(toHex(device));
  }

  /** Every head, keyed by hex device id. */
  all(): ReadonlyMap<string, LogHead> {
    return this.#heads;
  }

  /** How `checkpoint` relates to its sender's head (without changing anything). */
  continuity(checkpoint: Checkpoint): Continuity {
    const head = this.head(checkpoint.sender);
    const have = head?.position ?? 0;
    if (checkpoint.position <= have) {
      return checkpoint.position === have && equalBytes(head!.hash, checkpoint.hash) ? 'duplicate' : 'fork';
    }
    if (checkpoint.position > have + 1) return 'gap';
    const prev = head?.hash ?? new Uint8Array(32);
    return equalBytes(prev, checkpoint.prev) ? 'next' : 'fork';
  }

  /** The issues the seen heads of `checkpoint` reveal about other senders' logs. */
  seenIssues(checkpoint: Checkpoint): LogIssue[] {
    const issues: LogIssue[] = [];
    for (const seen of checkpoint.seen) {
      const head = this.head(seen.device);
      if (head === undefined || head.position < seen.position) {
        issues.push({ device: seen.device.slice(), kind: 'gap', position: seen.position });
      } else if (head.position === seen.position && !equalBytes(head.hash, seen.hash)) {
        issues.push({ device: seen.device.slice(), kind: 'fork', position: seen.position });
      }
    }
    return issues;
  }

  /** Moves `checkpoint`'s sender's head to it. */
  advance(checkpoint: Checkpoint): void {
    this.#heads.set(toHex(checkpoint.sender), { position: checkpoint.position, hash: checkpoint.hash.slice(), time: checkpoint.time });
  }

  /** Canonical CBOR of every head, for the local store. */
  toBytes(): Uint8Array {
    const map: Record<string, unknown> = {};
    for (const [hex, h] of this.#heads) map[hex] = { p: h.position, h: h.hash, t: h.time };
    return encodeCanonical({ v: 1, h: map });
  }

  /**
   * Heads saved by {@link LogHeads.toBytes}.
   * @throws {CodecError} `LOG_HEADS_CORRUPT`.
   */
  static fromBytes(bytes: Uint8Array | null): LogHeads {
    const heads = new LogHeads();
    if (bytes === null) return heads;
    try {
      const o = decodeValue(bytes, { maxBytes: bytes.length, maxItems: bytes.length }) as { v: number; h: Record<string, { p: number; h: Uint8Array; t: number }> };
      if (o.v !== 1) throw new Error('version');
      for (const [hex, h] of Object.entries(o.h)) {
        if (!Number.isSafeInteger(h.p) || !(h.h instanceof Uint8Array) || h.h.length !== 32 || !Number.isSafeInteger(h.t)) throw new Error('shape');
        fromHex(hex);
        heads.#heads.set(hex, { position: h.p, hash: h.h, time: h.t });
      }
    } catch (cause) {
      throw new CodecError('LOG_HEADS_CORRUPT', 'the saved log heads do not decode', { cause });
    }
    return heads;
  }
}
