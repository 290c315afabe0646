/**
 * The Dockerfile cannot be built here (no Docker engine), so it is linted and read: no
 * diagnostic from dockerfile-utils (the linter behind VS Code's Docker support), Node 20 in both
 * stages, a final stage that runs as an unprivileged user, a health check on /healthz, the port
 * it exposes is the one it configures, every MKS_* variable it sets is one `serve` reads, the
 * command is `serve` from the built CLI, and what it copies exists or is built.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { DockerfileParser } from 'dockerfile-ast';
import { validate } from 'dockerfile-utils';
import { describe, expect, it } from 'vitest';
import { SERVE_FLAGS } from '../../src/cli/flags.js';

const ROOT = resolve(import.meta.dirname, '../..');
const text = readFileSync(join(ROOT, 'Dockerfile'), 'utf8');
const dockerfile = DockerfileParser.parse(text);
const instructions = dockerfile.getInstructions();
const stages = dockerfile.getFROMs();
const finalStart = stages.at(-1)!.getRange().start.line;
const final = instructions.filter((i) => i.getRange().start.line >= finalStart);
const args = (keyword: string, from = instructions) => from.filter((i) => i.getKeyword() === keyword).map((i) => i.getArgumentsContent() ?? '');

describe('the Dockerfile', () => {
  it('has no lint diagnostics', () => {
    expect(validate(text).map((d) => `${d.range.start.line + 1}: ${d.message}`)).toEqual([]);
  });

  it('builds on Node 20 in every stage and runs as the unprivileged node user', () => {
    expect(stages.length).toBe(2);
    for (const from of stages) expect(from.getImage()).toMatch(/^node:20(-|$)/);
    expect(args('USER', final)).toEqual(['node']);
  });

  it('configures only variables serve reads, listens where it exposes, and checks /healthz', () => {
    const known = new Set(SERVE_FLAGS.flatMap((f) => f.env));
    const env = final.filter((i) => i.getKeyword() === 'ENV').flatMap((i) => (i as unknown as { getProperties(): { getName(): string; getValue(): string }[] }).getProperties());
    const mks = env.filter((p) => p.getName().startsWith('MKS_'));
    expect(mks.length).toBeGreaterThan(0);
    for (const p of mks) expect(known, p.getName()).toContain(p.getName());
    const port = mks.find((p) => p.getName() === 'MKS_PORT')!.getValue();
    expect(mks.find((p) => p.getName() === 'MKS_HOST')!.getValue()).toBe('0.0.0.0');
    expect(args('EXPOSE', final)).toEqual([port]);
    const health = args('HEALTHCHECK', final).join(' ');
    expect(health).toContain(`http://127.0.0.1:${port}/healthz`);
    expect(args('STOPSIGNAL', final)).toEqual(['SIGTERM']);
  });

  it('runs serve from the built CLI, and copies files that exist or are built', () => {
    expect(args('CMD', final)).toEqual(['["node", "dist/cli.js", "serve"]']);
    const scripts = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts;
    expect(scripts['build']).toBeDefined();
    const fromContext = instructions.filter(
      (i) => i.getKeyword() === 'COPY' && !(i as unknown as { getFlags(): { getName(): string }[] }).getFlags().some((f) => f.getName() === 'from'),
    );
    expect(fromContext.length).toBeGreaterThan(0);
    for (const copy of fromContext.map((i) => i.getArgumentsContent() ?? '')) {
      const sources = copy.split(/\s+/).slice(0, -1);
      for (const source of sources) expect(existsSync(join(ROOT, source)), source).toBe(true);
    }
    const ignored = readFileSync(join(ROOT, '.dockerignore'), 'utf8').split('\n');
    expect(ignored).toContain('node_modules');
    expect(ignored).toContain('*.sqlite');
  });
});
