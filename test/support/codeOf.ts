import { isMultikeySyncError } from '../../src/errors.js';

/**
 * The `code` of the MultikeySyncError `fn` throws, or undefined when it returns. Anything else it
 * throws (a bug, not a refusal) is thrown on, so a test cannot mistake it for a code.
 */
export function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
    return undefined;
  } catch (e) {
    if (!isMultikeySyncError(e)) throw e;
    return e.code;
  }
}
