import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { isTerminal, JOB_STATES } from './job-state';
import { JOB_EVENTS, TRANSITIONS } from './transitions';

const START = '[*]';

interface Diagram {
  edges: string[];
  initial: string[];
  final: string[];
}

/** Parse `from --> to: event` lines of a Mermaid stateDiagram-v2; any other line must be a comment. */
function parseDiagram(text: string): Diagram {
  const lines = text
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('%%'));
  expect(lines[0]).toBe('stateDiagram-v2');
  const diagram: Diagram = { edges: [], initial: [], final: [] };
  for (const line of lines.slice(1)) {
    const match = /^(\[\*\]|\w+)\s*-->\s*(\[\*\]|\w+)\s*(?::\s*(\w+))?$/.exec(line);
    if (!match) {
      throw new Error(`job-states.mmd: cannot read the line "${line}"`);
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
  return JOB_STATES.flatMap((from) =>
    JOB_EVENTS.flatMap((event) => {
      const to = TRANSITIONS[from][event];
      return to === undefined ? [] : [`${from} --${event}--> ${to}`];
    }),
  );
}

describe('job-states.mmd', () => {
  const diagram = parseDiagram(
    readFileSync(fileURLToPath(new URL('./job-states.mmd', import.meta.url)), 'utf8'),
  );

  it('draws every transition of the table', () => {
    for (const edge of tableEdges()) {
      expect(diagram.edges, `missing in the diagram: ${edge}`).toContain(edge);
    }
  });

  it('draws no transition the table lacks', () => {
    const table = tableEdges();
    for (const edge of diagram.edges) {
      expect(table, `not in TRANSITIONS: ${edge}`).toContain(edge);
    }
    expect(diagram.edges).toHaveLength(new Set(diagram.edges).size);
  });

  it('starts at queued and ends exactly at the terminal states', () => {
    expect(diagram.initial).toEqual(['queued']);
    expect([...diagram.final].sort()).toEqual(JOB_STATES.filter(isTerminal).sort());
  });
});
