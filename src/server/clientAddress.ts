/**
 * The address the per-address limits count a request against. Without proxies it is the
 * socket's peer. Behind `hops` reverse proxies that each append the address they saw to
 * `X-Forwarded-For`, it is the entry `hops` places from the right: the left part is whatever
 * the client wrote and cannot be trusted. A header shorter than that (a misconfigured proxy)
 * falls back to the socket's peer, so the limits still apply, to the proxy.
 */

/** The counted address of a request. */
export function clientAddress(socketAddress: string | undefined, forwardedFor: string | null | undefined, hops: number): string {
  const peer = socketAddress ?? 'unknown';
  if (hops === 0 || forwardedFor === null || forwardedFor === undefined) return peer;
  const entries = forwardedFor.split(',').map((entry) => entry.trim());
  const chosen = entries[entries.length - hops];
  return chosen === undefined || chosen === '' || chosen.length > 64 ? peer : chosen;
}
