import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseStateDiagram, tableEdges } from '../../test/state-diagram';
import { ATTEMPT_EVENTS, ATTEMPT_PHASES, ATTEMPT_TRANSITIONS } from './attempt-phase';

/** The Mermaid block under "## Attempt phases" in packages/shared/README.md. */
function readmeDiagram(): string {
  const readme = readFileSync(fileURLToPath(new URL('../../README.md', import.meta.url)), 'utf8');
  const section = readme.split('\n## ').find((part) => part.startsWith('Attempt phases'));
  expect(section, 'README has an "Attempt phases" section').toBeDefined();
  const match = /```mermaid\n([\s\S]*?)```/.exec(section as string);
  expect(match, 'the section has a mermaid block').not.toBeNull();
  return (match as RegExpExecArray)[1] as string;
}

describe('README "Attempt phases" diagram', () => {
  const diagram = parseStateDiagram(readmeDiagram(), 'README attempt diagram');

  it('draws every transition of ATTEMPT_TRANSITIONS and no other', () => {
    const table = tableEdges(ATTEMPT_PHASES, ATTEMPT_EVENTS, ATTEMPT_TRANSITIONS);
    expect([...diagram.edges].sort()).toEqual(table.sort());
    expect(diagram.edges).toHaveLength(new Set(diagram.edges).size);
  });

  it('starts at intent or bound (addAttempt) and ends at ended', () => {
    expect([...diagram.initial].sort()).toEqual(['bound', 'intent']);
    expect(diagram.final).toEqual(['ended']);
  });
});
