/**
 * Security warnings: things a pairing saw that point at someone else in the pairing, raised to
 * the app as events (`account.onSecurityWarning`) besides the error the call throws, so an app
 * can tell the person even when the failing call is deep in a flow.
 */
import type { DevicePublic } from '../core/devicePublic.js';

/** One warning. `code` is also the code of the error the pairing call throws. */
export interface SecurityWarning {
  /**
   * - `PAIRING_OFFER_USED`: someone answered this QR offer or pairing code before this device.
   *   Harmless if the person approved it on two of their devices; otherwise someone else saw
   *   the QR code or the digits (the new device is safe if its user compares the codes).
   * - `SAS_COMMITMENT_MISMATCH`: the new device's reveal does not match what it committed to:
   *   someone who knows the pairing secret, or a server, answered in its place.
   */
  readonly code: 'PAIRING_OFFER_USED' | 'SAS_COMMITMENT_MISMATCH';
  /** Which pairing flow saw it. */
  readonly flow: 'qr' | 'code';
  /** For a QR offer: the device the offer named, the one the person meant to add. */
  readonly device?: DevicePublic;
  /** ms since 1970, the account's clock. */
  readonly at: number;
}

/** Receives warnings. Must not throw (exceptions are ignored). */
export type SecurityWarningListener = (warning: SecurityWarning) => void;

/** The listeners of one account. */
export class SecurityWarnings {
  readonly #listeners = new Set<SecurityWarningListener>();

  /** Calls `listener` for every warning from now on; returns the unsubscribe. */
  subscribe(listener: SecurityWarningListener): () => void {
    this.#listeners.add(listener);
    return () => void this.#listeners.delete(listener);
  }

  /** Hands `warning` to every listener. */
  emit(warning: SecurityWarning): void {
    for (const listener of this.#listeners) {
      try {
        listener(warning);
      } catch {
        // A listener's failure must not change how the pairing ends.
      }
    }
  }
}
