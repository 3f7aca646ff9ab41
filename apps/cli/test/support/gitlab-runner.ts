import { readFile } from 'node:fs/promises';
import { parse } from 'yaml';
import { type CliRun, startProcess } from './run-cli';

/**
 * Test-only: a small stand-in for a GitLab runner. A pipeline file's job is resolved as GitLab
 * does it for what the template uses: `include: remote` (mapped to the local file), `extends`
 * (hashes merged key by key, the job's own keys winning), `variables` expanded in order (`$NAME` /
 * `${NAME}` of the predefined and earlier variables). `before_script` + `script` run in one shell,
 * `after_script` in another with CI_JOB_STATUS, each with `bash -eo pipefail` in the checkout.
 */

export interface GitlabJob {
  variables: Record<string, string>;
  before_script: string[];
  script: string[];
  after_script: string[];
  artifacts: { when: string; paths: string[]; reports?: { dotenv?: string } };
}

type Pipeline = Record<string, unknown> & { include?: Array<{ remote: string }> };

function merge(base: Record<string, unknown>, own: Record<string, unknown>): Record<string, unknown> {
  const merged = { ...base };
  for (const [key, value] of Object.entries(own)) {
    const under = base[key];
    merged[key] =
      value && typeof value === 'object' && !Array.isArray(value) && under && typeof under === 'object'
        ? merge(under as Record<string, unknown>, value as Record<string, unknown>)
        : value;
  }
  return merged;
}

/** The job `name` of the pipeline file, with its includes (`remote` URL → local file) and `extends` resolved. */
export async function gitlabJob(
  file: string,
  name: string,
  remotes: Record<string, string>,
): Promise<GitlabJob> {
  const pipeline = parse(await readFile(file, 'utf8')) as Pipeline;
  let all: Record<string, unknown> = {};
  for (const { remote } of pipeline.include ?? []) {
    const local = remotes[remote];
    if (local === undefined) {
      throw new Error(`no local file for include ${remote}`);
    }
    all = { ...all, ...(parse(await readFile(local, 'utf8')) as Record<string, unknown>) };
  }
  all = { ...all, ...pipeline };
  const resolve = (job: Record<string, unknown>): Record<string, unknown> => {
    const parent = job.extends as string | undefined;
    return parent === undefined ? job : merge(resolve(all[parent] as Record<string, unknown>), job);
  };
  const job = resolve(all[name] as Record<string, unknown>) as Partial<GitlabJob>;
  return {
    variables: job.variables ?? {},
    before_script: job.before_script ?? [],
    script: job.script ?? [],
    after_script: job.after_script ?? [],
    artifacts: job.artifacts ?? { when: 'on_success', paths: [] },
  };
}

/** `value` with `$NAME` / `${NAME}` of `known` expanded (an unknown name stays as written, as GitLab leaves it). */
export function expandVariables(value: string, known: Record<string, string>): string {
  return value.replace(/\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?/g, (whole, name: string) => known[name] ?? whole);
}

/**
 * The job's environment: the predefined variables, the job's `variables` expanded in order, and
 * the project's CI/CD variables (Settings), which take precedence over the file's.
 */
export function jobEnvironment(
  job: GitlabJob,
  predefined: Record<string, string>,
  project: Record<string, string>,
): Record<string, string> {
  const env = { ...predefined };
  for (const [name, value] of Object.entries(job.variables)) {
    env[name] = expandVariables(String(value), { ...env, ...project });
  }
  return { ...env, ...project };
}

/** Run shell lines as the runner does: one `bash -eo pipefail` in `cwd`, in a process group of its own. */
export function runLines(lines: string[], cwd: string, env: Record<string, string>): CliRun {
  return startProcess('bash', ['-eo', 'pipefail', '-c', lines.join('\n')], { cwd, env, detached: true });
}
