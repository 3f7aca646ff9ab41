import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ATTEMPT_EVENTS, ATTEMPT_PHASES, ATTEMPT_TRANSITIONS } from './attempt-phase';

const START = '[*]';

/** The Mermaid block under "## Attempt phases" in packages/shared/README.md. */
function readmeDiagram(): string {
  const readme = readFileSync(fileURLToPath(new URL('../../README.md', import.meta.url)), 'utf8');
  const section = readme.split('\n## ').find((part) => part.startsWith('Attempt phases'));
  expect(section, 'README has an "Attempt phases" section').toBeDefined();
  const match = /```mermaid\n([\s\S]*?)```/.exec(section as string);
  expect(match, 'the section has a mermaid block').not.toBeNull();
  return (match as RegExpExecArray)[1] as string;
}

function parse(text: string): { edges: string[]; initial: string[]; final: string[] } {
  const lines = text
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('%%'));
  expect(lines[0]).toBe('stateDiagram-v2');
  const diagram = { edges: [] as string[], initial: [] as string[], final: [] as string[] };
  for (const line of lines.slice(1)) {
    const match = /^(\[\*\]|\w+)\s*-->\s*(\[\*\]|\w+)\s*(?::\s*(\w+))?$/.exec(line);
    if (!match) {
      throw new Error(`README attempt diagram: cannot read the line "${line}"`);
    }
    const [, from, to, event] = match as unknown as [string, string, string, string | undefined];
    if (from === START) {
      diagram.initial.push(to);
    } else if (to === START) {
      diagram.final.push(from);
    } else {
      expect(event, `edge ${from} --> ${to} needs an event label`).toBeDefined();
      diagram.edges.push(`${from} --${event}--> ${to}`);
    }
  }
  return diagram;
}

function tableEdges(): string[] {
  return ATTEMPT_PHASES.flatMap((from) =>
    ATTEMPT_EVENTS.flatMap((event) => {
      const to = ATTEMPT_TRANSITIONS[from][event];
      return to === undefined ? [] : [`${from} --${event}--> ${to}`];
    }),
  );
}

describe('README "Attempt phases" diagram', () => {
  const diagram = parse(readmeDiagram());

  it('draws every transition of ATTEMPT_TRANSITIONS and no other', () => {
    expect([...diagram.edges].sort()).toEqual(tableEdges().sort());
    expect(diagram.edges).toHaveLength(new Set(diagram.edges).size);
  });

  it('starts at intent or bound (addAttempt) and ends at ended', () => {
    expect([...diagram.initial].sort()).toEqual(['bound', 'intent']);
    expect(diagram.final).toEqual(['ended']);
  });
});
