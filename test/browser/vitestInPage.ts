/**
 * The part of vitest's API that the LocalStore conformance suite uses (`describe`, `it`,
 * `beforeEach`, `afterEach`, `expect`), for running that suite unchanged in a browser page: the
 * page's bundle aliases `vitest` to this file. `expect` is vitest's own matcher library
 * (@vitest/expect on chai, as vitest sets it up), so every assertion means what it means in
 * Node; `describe` and `it` only record the tree, and {@link runRecorded} runs it test by test,
 * each with the hooks of every describe around it, outermost first (after-hooks innermost first).
 */
import {
  chai,
  getState,
  GLOBAL_EXPECT,
  JestAsymmetricMatchers,
  JestChaiExpect,
  JestExtend,
  setState,
  type ExpectStatic,
} from '@vitest/expect';

chai.use(JestExtend);
chai.use(JestChaiExpect);
chai.use(JestAsymmetricMatchers);

export const expect = ((value: unknown, message?: string) => {
  setState({ assertionCalls: getState(expect).assertionCalls + 1 }, expect);
  return chai.expect(value, message);
}) as ExpectStatic;
Object.assign(expect, chai.expect);
setState(
  {
    assertionCalls: 0,
    isExpectingAssertions: false,
    isExpectingAssertionsError: null,
    expectedAssertionsNumber: null,
    expectedAssertionsNumberErrorGen: null,
    currentTestName: '',
  },
  expect,
);
(globalThis as Record<symbol, unknown>)[GLOBAL_EXPECT] = expect;

type Body = () => unknown;

interface Block {
  readonly name: string;
  readonly parent: Block | null;
  readonly before: Body[];
  readonly after: Body[];
}

interface Case {
  readonly name: string;
  readonly block: Block;
  readonly body: Body;
}

/** One test's outcome. */
export interface CaseResult {
  /** The describe names and the test name, joined by ' > '. */
  readonly name: string;
  readonly ok: boolean;
  readonly ms: number;
  /** The first error (test, then hooks), as `Name: message`. */
  readonly error?: string;
}

const root: Block = { name: '', parent: null, before: [], after: [] };
let current = root;
const cases: Case[] = [];

export function describe(name: string, body: () => void): void {
  const block: Block = { name, parent: current, before: [], after: [] };
  const outer = current;
  current = block;
  try {
    body();
  } finally {
    current = outer;
  }
}

export function it(name: string, body: Body): void {
  cases.push({ name, block: current, body });
}

export function beforeEach(body: Body): void {
  current.before.push(body);
}

export function afterEach(body: Body): void {
  current.after.push(body);
}

/** Blocks from the outermost to `block`. */
function chain(block: Block): Block[] {
  const out: Block[] = [];
  for (let b: Block | null = block; b !== null && b !== root; b = b.parent) out.unshift(b);
  return out;
}

function describeError(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}

async function withTimeout(promise: Promise<unknown>, ms: number): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    await Promise.race([promise, new Promise((_, reject) => (timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms`)), ms)))]);
  } finally {
    clearTimeout(timer);
  }
}

/** How many tests were recorded. */
export function recordedCount(): number {
  return cases.length;
}

/** Runs every recorded test in order; `timeoutMs` bounds each test with its hooks. */
export async function runRecorded(timeoutMs = 120_000): Promise<CaseResult[]> {
  const results: CaseResult[] = [];
  for (const test of cases) {
    const blocks = chain(test.block);
    const name = [...blocks.map((b) => b.name), test.name].join(' > ');
    const started = performance.now();
    let failure: unknown;
    try {
      await withTimeout(
        (async () => {
          for (const block of blocks) for (const hook of block.before) await hook();
          await test.body();
        })(),
        timeoutMs,
      );
    } catch (error) {
      failure = error;
    }
    for (const block of [...blocks].reverse()) {
      for (const hook of block.after) {
        try {
          await hook();
        } catch (error) {
          failure ??= error;
        }
      }
    }
    const ms = Math.round(performance.now() - started);
    results.push(failure === undefined ? { name, ok: true, ms } : { name, ok: false, ms, error: describeError(failure) });
  }
  return results;
}
