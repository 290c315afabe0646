/** The retry policy's arithmetic: full jitter under an exponential cap, Retry-After as a floor. */
import { describe, expect, it } from 'vitest';
import { backoffDelay, retryPolicy } from '../../src/client/retry.js';

describe('backoff with full jitter', () => {
  const policy = retryPolicy({ attempts: 6, baseDelayMs: 100, maxDelayMs: 1000 });

  it('draws uniformly below a cap that doubles per attempt up to the maximum', () => {
    expect([1, 2, 3, 4, 5].map((a) => backoffDelay(policy, a, null, () => 0.999999))).toEqual([100, 200, 400, 800, 1000].map((c) => c * 0.999999));
    expect(backoffDelay(policy, 3, null, () => 0)).toBe(0);
    expect(backoffDelay(policy, 3, null, () => 0.5)).toBe(200);
  });

  it('never waits less than Retry-After, and at most a minute for it', () => {
    expect(backoffDelay(policy, 1, '2', () => 0.5)).toBe(2000);
    expect(backoffDelay(policy, 1, '3600', () => 0.5)).toBe(60_000);
    expect(backoffDelay(policy, 1, 'soon', () => 0.5)).toBe(50);
  });

  it('defaults to 4 attempts; false means one', () => {
    expect(retryPolicy(undefined).attempts).toBe(4);
    expect(retryPolicy(false).attempts).toBe(1);
  });
});
