import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseStateDiagram, tableEdges } from '../../test/state-diagram';
import { isTerminal, JOB_STATES } from './job-state';
import { JOB_EVENTS, TRANSITIONS } from './transitions';

describe('job-states.mmd', () => {
  const diagram = parseStateDiagram(
    readFileSync(fileURLToPath(new URL('./job-states.mmd', import.meta.url)), 'utf8'),
    'job-states.mmd',
  );
  const table = tableEdges(JOB_STATES, JOB_EVENTS, TRANSITIONS);

  it('draws every transition of the table', () => {
    for (const edge of table) {
      expect(diagram.edges, `missing in the diagram: ${edge}`).toContain(edge);
    }
  });

  it('draws no transition the table lacks', () => {
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
