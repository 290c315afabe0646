/**
 * Who held which key when. An envelope names the chain head its sender had verified; a reader
 * opens it with the sender's card as of that head, so records sealed before a key rotation, or
 * by a device removed since, still open, while a removed device cannot seal anything that claims
 * a head from after its removal. Built incrementally from the verified chain's entries.
 */
import type { CryptoProvider } from '../crypto/provider.js';
import { idKey, type DevicePublic } from '../core/devicePublic.js';
import type { DeviceLookup } from '../core/deviceDirectory.js';
import { decodeEntry } from './chainEntry.js';
import { applyEntry, genesisState, type ChainState } from './chainState.js';

interface Span {
  /** First chain index (entry count − 1) at which the card is in force. */
  from: number;
  /** First index at which it is no longer in force (Infinity while current). */
  to: number;
  card: DevicePublic;
  effectiveAt: number;
}

/** Per-device key timelines of one chain. Feed it every state the chain passes through. */
export class ChainHistory {
  #spans = new Map<string, Span[]>();
  #heads = new Map<string, number>();
  #length = 0;
  #state: ChainState | undefined;

  /** Number of chain entries seen. */
  get length(): number {
    return this.#length;
  }

  /**
   * Brings the timelines up to date with `entries`, the encoded entries of a chain that was
   * already verified (its first `length` entries must be the ones seen before).
   * @throws `CHAIN_*` codes if the entries do not replay (they were verified, so only on misuse).
   */
  catchUp(suite: CryptoProvider, entries: readonly Uint8Array[]): void {
    for (let i = this.#length; i < entries.length; i++) {
      const encoded = decodeEntry(suite, entries[i]!);
      const state: ChainState = this.#state === undefined ? genesisState(suite, encoded) : applyEntry(suite, this.#state, encoded);
      this.observe(state);
    }
  }

  /** Records the state after entry `state.length − 1` was applied. States must arrive in order. */
  observe(state: ChainState): void {
    if (state.length !== this.#length + 1) return; // already seen, or a gap the caller must not create
    this.#state = state;
    const index = state.length - 1;
    this.#heads.set(idKey(state.head), index);
    for (const [key, spans] of this.#spans) {
      const last = spans[spans.length - 1]!;
      const now = state.devices.get(key);
      if (last.to === Infinity && (now === undefined || now.card !== last.card)) last.to = index;
    }
    for (const [key, d] of state.devices) {
      const spans = this.#spans.get(key) ?? [];
      const last = spans[spans.length - 1];
      if (last === undefined || last.to !== Infinity) {
        spans.push({ from: index, to: Infinity, card: d.card, effectiveAt: d.effectiveAt });
        this.#spans.set(key, spans);
      }
    }
    this.#length = state.length;
  }

  /** The chain index of the entry with hash `head`, if this chain has it. */
  headIndex(head: Uint8Array): number | undefined {
    return this.#heads.get(idKey(head));
  }

  /** The chain index at which device `id` was first on the list, if ever. */
  firstIndex(id: Uint8Array): number | undefined {
    return this.#spans.get(idKey(id))?.[0]?.from;
  }

  /** A sender lookup for an envelope sealed at chain index `index`. */
  sendersAt(index: number, now: number): DeviceLookup {
    return {
      get: (id) => {
        const spans = this.#spans.get(idKey(id));
        if (spans === undefined) return undefined;
        for (const s of spans) if (s.from <= index && index < s.to && s.effectiveAt <= now) return s.card;
        return undefined;
      },
    };
  }
}
