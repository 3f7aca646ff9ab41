import type { ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse } from 'yaml';
import { startProcess } from './run-cli';

/**
 * Test-only: a small stand-in for the GitHub Actions runner, enough to run a workflow job's steps
 * and a composite action (`.github/actions/run-job/action.yml`) as written: `${{ }}` expressions
 * of the contexts used (inputs, steps, env, vars, secrets, github, runner) substituted, `if:` with
 * `success()`, `always()`, `cancelled()`, `&&` and `!=` / `==` against strings, each `run:` run by
 * `bash --noprofile --norc -eo pipefail` (GitHub's `shell: bash`) with fresh GITHUB_OUTPUT and the
 * accumulated GITHUB_ENV files as GitHub handles them. Another `uses:` (checkout, setup-node,
 * upload-artifact) is skipped: the machine has node, and the test lays out the checkout itself.
 * An unknown expression fails the test rather than being guessed.
 */

export interface Step {
  id?: string;
  name?: string;
  if?: string;
  uses?: string;
  with?: Record<string, string>;
  env?: Record<string, string>;
  run?: string;
}

export interface ActionFile {
  inputs: Record<string, { default?: string; required?: boolean }>;
  outputs: Record<string, { value: string }>;
  runs: { using: string; steps: Step[] };
}

export interface StepResult {
  id: string;
  /** null: skipped by its `if:`; a signal name when killed. */
  code: number | string | null;
  stdout: string;
  stderr: string;
}

export interface RunnerOptions {
  /** The checkout: every step's working directory. */
  workspace: string;
  /** github.run_id (run_attempt is 1, the job `gpu`). */
  runId: string;
  /** `uses:` → the local action.yml it stands for (e.g. `your-org/clore-batch/.github/actions/run-job@main`). */
  actions: Record<string, string>;
  /** The environment every step starts from (PATH, HOME, the CI's variables and secrets). */
  env: Record<string, string>;
  vars?: Record<string, string>;
  secrets?: Record<string, string>;
  /** Called when a step's process starts; resolve `'cancel'` to cancel the run: the process is SIGKILLed. */
  onStart?: (step: Step, child: ChildProcess) => Promise<'cancel' | undefined> | undefined;
}

interface Scope {
  inputs: Record<string, string>;
  steps: Record<string, Record<string, string>>;
  env: Record<string, string>;
  actionPath: string;
}

export class GithubRunner {
  readonly results: StepResult[] = [];
  /** GITHUB_ENV as accumulated over the job. */
  readonly jobEnv: Record<string, string> = {};
  private failed = false;
  private cancelled = false;
  private temp = '';

  constructor(private readonly options: RunnerOptions) {}

  /** Run a workflow job's steps (`jobs.<job>.steps`); resolves with each step's result. */
  async runJob(steps: Step[]): Promise<StepResult[]> {
    this.temp = await mkdtemp(join(this.options.workspace, '.runner-temp-'));
    const scope: Scope = { inputs: {}, steps: {}, env: {}, actionPath: '' };
    for (const [index, step] of steps.entries()) {
      await this.runStep(step, `${index}`, scope);
    }
    return this.results;
  }

  private async runStep(step: Step, fallbackId: string, scope: Scope): Promise<void> {
    const id = step.id ?? fallbackId;
    if (!this.shouldRun(step.if, scope)) {
      this.results.push({ id, code: null, stdout: '', stderr: '' });
      return;
    }
    const env = { ...scope.env, ...this.resolveAll(step.env ?? {}, scope) };
    const action = step.uses === undefined ? undefined : this.options.actions[step.uses];
    if (action !== undefined) {
      scope.steps[id] = await this.runAction(action, this.resolveAll(step.with ?? {}, scope), env);
      return;
    }
    if (step.run === undefined) {
      return; // another action (checkout, setup-node, upload-artifact)
    }
    const outputFile = join(this.temp, `output-${this.results.length}`);
    await writeFile(outputFile, '');
    const script = join(this.temp, `step-${this.results.length}.sh`);
    await writeFile(script, this.resolve(step.run, scope));
    const run = startProcess('bash', ['--noprofile', '--norc', '-eo', 'pipefail', script], {
      cwd: this.options.workspace,
      env: {
        ...this.options.env,
        ...this.jobEnv,
        ...env,
        RUNNER_TEMP: this.temp,
        GITHUB_OUTPUT: outputFile,
        GITHUB_ENV: join(this.temp, 'env'),
        GITHUB_RUN_ID: this.options.runId,
        GITHUB_RUN_ATTEMPT: '1',
        GITHUB_JOB: 'gpu',
        GITHUB_WORKSPACE: this.options.workspace,
      },
      detached: true,
    });
    const child = run.child;
    void this.options.onStart?.(step, child)?.then((verdict) => {
      if (verdict === 'cancel') {
        this.cancelled = true;
        process.kill(-(child.pid ?? 0), 'SIGKILL');
      }
    });
    const { code: exitCode, signal, stdout, stderr } = await run.done;
    const code = exitCode ?? signal ?? 'unknown';
    // The runner reads the file commands once the step's process has ended, however it ended.
    Object.assign(
      this.jobEnv,
      parseFileCommands(await readFile(join(this.temp, 'env'), 'utf8').catch(() => '')),
    );
    scope.steps[id] = parseFileCommands(await readFile(outputFile, 'utf8'));
    this.failed ||= code !== 0;
    this.results.push({ id, code, stdout, stderr });
  }

  /** A composite action: its steps in its own scope; resolves with its `outputs:`. */
  private async runAction(
    file: string,
    given: Record<string, string>,
    env: Record<string, string>,
  ): Promise<Record<string, string>> {
    const action = parse(await readFile(file, 'utf8')) as ActionFile;
    const inputs: Record<string, string> = {};
    for (const [name, input] of Object.entries(action.inputs)) {
      inputs[name] = given[name] ?? input.default ?? '';
    }
    const scope: Scope = { inputs, steps: {}, env, actionPath: join(file, '..') };
    for (const [index, step] of action.runs.steps.entries()) {
      await this.runStep(step, `__action_${index}`, scope);
    }
    return Object.fromEntries(
      Object.entries(action.outputs).map(([name, output]) => [name, this.resolve(output.value, scope)]),
    );
  }

  private shouldRun(condition: string | undefined, scope: Scope): boolean {
    const text = (condition ?? 'success()').replace(/^\$\{\{(.*)\}\}$/s, '$1').trim();
    const terms = text.split('&&').map((term) => term.trim());
    const statusTerm = terms.find((term) => /^(success|always|cancelled|failure)\(\)$/.test(term));
    const status = statusTerm ?? 'success()';
    const statusOk =
      status === 'always()' ||
      (status === 'cancelled()' && this.cancelled) ||
      (status === 'failure()' && this.failed && !this.cancelled) ||
      (status === 'success()' && !this.failed && !this.cancelled);
    return (
      statusOk &&
      terms
        .filter((term) => term !== statusTerm)
        .every((term) => {
          const match = /^(.+?)\s*(!=|==)\s*'(.*)'$/.exec(term);
          if (!match) {
            throw new Error(`the test runner does not understand if: ${condition}`);
          }
          const value = this.lookup(match[1] ?? '', scope);
          return match[2] === '==' ? value === match[3] : value !== match[3];
        })
    );
  }

  private resolveAll(values: Record<string, string>, scope: Scope): Record<string, string> {
    return Object.fromEntries(Object.entries(values).map(([k, v]) => [k, this.resolve(String(v), scope)]));
  }

  private resolve(text: string, scope: Scope): string {
    return text.replace(/\$\{\{\s*([^}]+?)\s*\}\}/g, (_, expression: string) =>
      this.lookup(expression, scope),
    );
  }

  private lookup(expression: string, scope: Scope): string {
    const [context, ...path] = expression.trim().split('.');
    const name = path.join('.');
    switch (context) {
      case 'inputs':
        return scope.inputs[name] ?? '';
      case 'steps':
        return path[1] === 'outputs'
          ? (scope.steps[path[0] ?? '']?.[path[2] ?? ''] ?? '')
          : this.unknown(expression);
      case 'env':
        return scope.env[name] ?? this.jobEnv[name] ?? '';
      case 'vars':
        return this.options.vars?.[name] ?? '';
      case 'secrets':
        return this.options.secrets?.[name] ?? '';
      case 'runner':
        return name === 'temp' ? this.temp : this.unknown(expression);
      case 'github': {
        const github: Record<string, string> = {
          action_path: scope.actionPath,
          run_id: this.options.runId,
          run_attempt: '1',
          job: 'gpu',
        };
        return github[name] ?? this.unknown(expression);
      }
      default:
        return this.unknown(expression);
    }
  }

  private unknown(expression: string): never {
    throw new Error(`the test runner does not know the expression \${{ ${expression} }}`);
  }
}

/** GITHUB_OUTPUT / GITHUB_ENV: `name=value` lines and `name<<DELIMITER` ... `DELIMITER` blocks. */
export function parseFileCommands(text: string): Record<string, string> {
  const values: Record<string, string> = {};
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] ?? '';
    const heredoc = /^([^=<]+)<<(.+)$/.exec(line);
    if (heredoc) {
      const end = lines.indexOf(heredoc[2] ?? '', i + 1);
      values[heredoc[1] ?? ''] = lines.slice(i + 1, end).join('\n');
      i = end;
    } else if (line.includes('=')) {
      values[line.slice(0, line.indexOf('='))] = line.slice(line.indexOf('=') + 1);
    }
  }
  return values;
}
