import { expect } from 'vitest';

const START = '[*]';

/** A Mermaid stateDiagram-v2 as edges `from --event--> to`, its initial and its final states. */
export interface StateDiagram {
  edges: string[];
  initial: string[];
  final: string[];
}

/**
 * Parse the `from --> to: event` lines of a Mermaid stateDiagram-v2 (`[*]` for start and end); any
 * other line must be a `%%` comment. `source` names the diagram in errors.
 */
export function parseStateDiagram(text: string, source: string): StateDiagram {
  const lines = text
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('%%'));
  expect(lines[0]).toBe('stateDiagram-v2');
  const diagram: StateDiagram = { edges: [], initial: [], final: [] };
  for (const line of lines.slice(1)) {
    const match = /^(\[\*\]|\w+)\s*-->\s*(\[\*\]|\w+)\s*(?::\s*(\w+))?$/.exec(line);
    if (!match) {
      throw new Error(`${source}: cannot read the line "${line}"`);
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

/** Every transition of a `table[from][event] = to` machine, as diagram edges. */
export function tableEdges<S extends string, E extends string>(
  states: readonly S[],
  events: readonly E[],
  table: Record<S, Partial<Record<E, S>>>,
): string[] {
  return states.flatMap((from) =>
    events.flatMap((event) => {
      const to = table[from][event];
      return to === undefined ? [] : [`${from} --${event}--> ${to}`];
    }),
  );
}
