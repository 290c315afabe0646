/**
 * What "whitespace" means wherever a person types something the protocol reads (pairing codes,
 * recovery words: docs/protocol.md §20.4, §21): exactly the characters JavaScript's `\s` matches
 * today, listed so that no engine's Unicode version can change the answer.
 *
 * U+0009–U+000D (tab, line feed, vertical tab, form feed, carriage return), U+0020, U+00A0,
 * U+1680, U+2000–U+200A, U+2028, U+2029, U+202F, U+205F, U+3000, U+FEFF.
 * Not whitespace here: U+0085 (next line), U+180E, U+200B (zero-width space), U+2060.
 */
export const WHITESPACE_CLASS = '\\u0009-\\u000d\\u0020\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000\\ufeff';

/** One or more whitespace characters. */
export const WHITESPACE_RUN = new RegExp(`[${WHITESPACE_CLASS}]+`, 'g');
