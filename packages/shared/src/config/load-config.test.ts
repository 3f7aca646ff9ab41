import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loadConfig } from './load-config';
import { ConfigSchema } from './schema';

const base = { SECRETS_KEY: 'x'.repeat(40) };

describe('loadConfig', () => {
  it('applies defaults and freezes the result', () => {
    const config = loadConfig(base);
    expect(config.REDIS_URL).toBe('redis://127.0.0.1:6379');
    expect(config.CLORE_GENERAL_SPACING_MS).toBe(1100);
    expect(config.CLORE_CREATE_SPACING_MS).toBe(5200);
    expect(config.CLORE_CURRENCY).toBe('CLORE-Blockchain');
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.API_TOKENS)).toBe(true);
  });

  it('reports three bad variables in one error', () => {
    let caught: unknown;
    try {
      loadConfig({ ...base, PORT: 'eighty', CLORE_CURRENCY: 'dogecoin', WORKER_CONCURRENCY: '0' });
    } catch (error) {
      caught = error;
    }
    expect(caught).toMatchObject({ code: 'CONFIG_INVALID' });
    const message = (caught as Error).message;
    expect(message).toContain('3 problem(s)');
    for (const name of ['PORT', 'CLORE_CURRENCY', 'WORKER_CONCURRENCY']) {
      expect(message).toContain(name);
    }
    const issues = (caught as { details: { issues: { variable: string }[] } }).details.issues;
    expect(issues.map((i) => i.variable).sort()).toEqual(['CLORE_CURRENCY', 'PORT', 'WORKER_CONCURRENCY']);
  });

  it('requires SECRETS_KEY and never echoes secret values', () => {
    expect(() => loadConfig({})).toThrow(/SECRETS_KEY: is required/);
    expect(() => loadConfig({ ...base, PORT: 'eighty' })).toThrow(/PORT: must be a number \(got "eighty"\)/);
    try {
      loadConfig({ SECRETS_KEY: 'short-secret-value', API_TOKENS: 'ci:submit:tiny-secret' });
      expect.unreachable();
    } catch (error) {
      const message = (error as Error).message;
      expect(message).not.toContain('short-secret-value');
      expect(message).not.toContain('tiny-secret');
      expect(message).toContain('API_TOKENS');
    }
  });

  it('parses API_TOKENS into names and roles', () => {
    const config = loadConfig({
      ...base,
      API_TOKENS: 'ci:submit:ci-token-0123456789abcdef, ops:admin:ops-token-0123456789abcdef',
    });
    expect(config.API_TOKENS.map((t) => [t.name, t.role])).toEqual([
      ['ci', 'submit'],
      ['ops', 'admin'],
    ]);
  });

  it('rejects a bad role, a duplicate name and a short token, by entry', () => {
    expect(() =>
      loadConfig({
        ...base,
        API_TOKENS: 'a:root:aaaaaaaaaaaaaaaaaaaa,a:submit:bbbbbbbbbbbbbbbbbbbb,c:admin:short',
      }),
    ).toThrow(
      /entry 1 \("a"\): role must be submit or admin[\s\S]*entry 2 \("a"\): name is used twice[\s\S]*entry 3 \("c"\): token must be at least 16/,
    );
  });

  it('treats empty strings as unset', () => {
    expect(loadConfig({ ...base, PORT: '' }).PORT).toBe(8080);
  });

  it('.env.example lists every variable', () => {
    const example = readFileSync(new URL('../../../../.env.example', import.meta.url), 'utf8');
    const listed = [...example.matchAll(/^#?\s*([A-Z][A-Z0-9_]+)=/gm)].map((m) => m[1]);
    expect(listed.sort()).toEqual(Object.keys(ConfigSchema.shape).sort());
  });
});
