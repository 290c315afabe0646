/**
 * A hostile operator in front of the honest server: every client's fetch goes through it, and
 * it may rewrite what each device pulls — drop an envelope or a checkpoint, serve an older copy,
 * relabel a stanza, or slip in bytes the honest server would have refused (a removed device's
 * writes, a forgery) — per requesting device. It cannot sign as any device: whatever it adds
 * is bytes some key holder made, or bytes no one signed.
 */
import { decodeValue, encodeValue } from '../../src/core/cbor.js';
import { WIRE_ENCODE_LIMITS } from '../../src/http/messages.js';
import { toHex } from '../../src/crypto/bytes.js';

/** One pulled page as the honest server answered it, and who asked. */
export interface PulledPage {
  /** The requesting device's id, hex. */
  device: string;
  items: Uint8Array[];
  cursor: number;
  more: boolean;
}

/** Rewrites a page before the device sees it; return it unchanged to pass it through. */
export type PageRewrite = (page: PulledPage) => PulledPage;

export interface HostileFront {
  /** The fetch to give every client. */
  fetch: typeof fetch;
  /** The current rewrite (pass-through by default). */
  rewrite: PageRewrite;
  /** Every item every device pulled, as the honest server sent it, by device hex. */
  seen: Map<string, Uint8Array[]>;
}

const PULL = /^\/v1\/accounts\/[0-9a-f]{64}\/(envelopes|wait)$/;

export function hostileFront(): HostileFront {
  const front: HostileFront = {
    rewrite: (page) => page,
    seen: new Map(),
    fetch: async (input, init) => {
      const request = new Request(input, init);
      const response = await fetch(request);
      const url = new URL(request.url);
      if (request.method !== 'GET' || !PULL.test(url.pathname) || response.status !== 200) return response;
      const device = request.headers.get('mks-device') ?? '';
      const body = decodeValue(new Uint8Array(await response.arrayBuffer()), {
        maxBytes: 256 * 1024 * 1024,
        maxItems: 1_000_000,
        maxStringBytes: 16 * 1024 * 1024,
      }) as { items: Uint8Array[]; cursor: number; more: boolean };
      const seen = front.seen.get(device) ?? [];
      seen.push(...body.items);
      front.seen.set(device, seen);
      const page = front.rewrite({ device, items: body.items, cursor: body.cursor, more: body.more });
      const bytes = encodeValue({ items: page.items, cursor: page.cursor, more: page.more }, WIRE_ENCODE_LIMITS);
      return new Response(bytes as Uint8Array<ArrayBuffer>, { status: 200, headers: { 'content-type': 'application/cbor' } });
    },
  };
  return front;
}

/** Hex id of a device, as the front keys pages. */
export function deviceHex(device: { id: Uint8Array }): string {
  return toHex(device.id);
}
