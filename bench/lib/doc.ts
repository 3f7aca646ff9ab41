/**
 * docs/benchmarks.md, one `## ` section per benchmark: a run replaces its own section (found by its
 * heading) and keeps every other one.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { cpus, loadavg, totalmem } from 'node:os';
import { fileURLToPath } from 'node:url';

export const DOC_PATH = fileURLToPath(new URL('../../docs/benchmarks.md', import.meta.url));

/** Replace (or append) the section whose first line is `heading` (e.g. `## API economy`). */
export async function writeSection(heading: string, text: string): Promise<void> {
  let doc = await readFile(DOC_PATH, 'utf8').catch(
    () => "# Benchmarks\n\nFigures measured on this project's machine; each section names its command.\n",
  );
  const start = doc.indexOf(`${heading}\n`);
  if (start === -1) {
    doc = `${doc.trimEnd()}\n\n${text}`;
  } else {
    const next = doc.indexOf('\n## ', start + 1);
    doc = `${doc.slice(0, start)}${text.trimEnd()}\n${next === -1 ? '' : `\n${doc.slice(next + 1)}`}`;
  }
  await writeFile(DOC_PATH, `${doc.trimEnd()}\n`);
}

/** One line naming the machine and the date, for every section. */
export function machineLine(): string {
  const load = loadavg()
    .map((n) => n.toFixed(1))
    .join(' / ');
  return `${cpus().length} cores (shared with other engineers' work while measuring; load average ${load} at the end), ${Math.round(totalmem() / 2 ** 30)} GiB RAM, Node ${process.version}. Measured ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

/** Print a benchmark's section and, unless `write` is false or it is empty, put it in docs/benchmarks.md. */
export async function publishSection(heading: string, text: string, write: boolean): Promise<void> {
  process.stdout.write(`${text}\n`);
  if (write && text !== '') {
    await writeSection(heading, text);
  }
}
