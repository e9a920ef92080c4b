import * as fs from 'fs';
import * as path from 'path';
import * as engine from '../../src/kubefed-semantics';

describe('engine barrel', () => {
  test.each([
    'parsePointer', 'formatPointer', 'escapeToken', 'addValue', 'removeValue', 'replaceValue', 'getValue',
    'overridePathProblem', 'validateOverrides', 'applyOverrides', 'OverrideError',
    'selectorMatches', 'resolvePlacement', 'effectivePlacement',
    'planReplicas', 'schedulingProblems', 'scheduleFederated',
    'renderForCluster', 'renderAll',
  ])('exports %s', (name) => {
    expect(typeof (engine as Record<string, unknown>)[name]).toBe('function');
  });

  test('stays internal: the package entry point does not re-export it', () => {
    const entry = fs.readFileSync(path.join(__dirname, '..', '..', 'src', 'index.ts'), 'utf8');
    expect(entry).not.toMatch(/['"]\.\/engine/);
  });
});
