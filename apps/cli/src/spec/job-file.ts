import { readFile } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { parse as parseYaml } from 'yaml';
import { usageError } from '../cli/cli-error';

/**
 * Read a job file (JSON or YAML; `-` reads stdin) into a plain object. Any problem (missing file,
 * syntax error with its line, not an object) is a usage error naming the file.
 */
export async function readJobFile(path: string, stdin: Readable): Promise<Record<string, unknown>> {
  const label = path === '-' ? 'job file (stdin)' : `job file ${path}`;
  let text: string;
  try {
    text = path === '-' ? await readAll(stdin) : await readFile(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw usageError(`${label}: ${code === 'ENOENT' ? 'no such file' : (error as Error).message}`);
  }
  let value: unknown;
  try {
    // YAML 1.2 is a superset of JSON, so one parser reads both; errors carry line and column.
    value = parseYaml(text, { prettyErrors: true, uniqueKeys: true });
  } catch (error) {
    throw usageError(`${label}: not valid JSON or YAML: ${(error as Error).message.split('\n')[0]}`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw usageError(`${label}: must hold one object (a job spec), got ${describe(value)}`);
  }
  return value as Record<string, unknown>;
}

function describe(value: unknown): string {
  if (value === null || value === undefined) {
    return 'nothing';
  }
  return Array.isArray(value) ? 'a list' : `a ${typeof value}`;
}

async function readAll(stream: Readable): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) {
    chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk)));
  }
  return Buffer.concat(chunks).toString('utf8');
}
