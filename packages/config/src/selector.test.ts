import { labelKeyProblem, labelValueProblem, matchesAnySelector, matchesLabelSelector } from './selector.ts';

const sel = (
  matchLabels: Record<string, string>,
  matchExpressions: {
    key: string;
    operator: 'In' | 'NotIn' | 'Exists' | 'DoesNotExist';
    values?: string[];
  }[] = [],
) => ({
  matchLabels,
  matchExpressions: matchExpressions.map((e) => ({ ...e, values: e.values ?? [] })),
});

test('empty selector matches everything, including no labels', () => {
  expect(matchesLabelSelector(sel({}), {})).toBe(true);
  expect(matchesLabelSelector(sel({}), undefined)).toBe(true);
  expect(matchesLabelSelector(sel({}), { a: 'b' })).toBe(true);
});

test('matchLabels AND matchExpressions', () => {
  const s = sel({ zone: 'a' }, [{ key: 'role', operator: 'In', values: ['worker', 'edge'] }]);
  expect(matchesLabelSelector(s, { zone: 'a', role: 'edge' })).toBe(true);
  expect(matchesLabelSelector(s, { zone: 'a', role: 'db' })).toBe(false);
  expect(matchesLabelSelector(s, { zone: 'b', role: 'edge' })).toBe(false);
  expect(matchesLabelSelector(s, { role: 'edge' })).toBe(false);
});

test('operators', () => {
  const notIn = sel({}, [{ key: 'k', operator: 'NotIn', values: ['x'] }]);
  expect(matchesLabelSelector(notIn, {})).toBe(true); // absent satisfies NotIn (Kubernetes)
  expect(matchesLabelSelector(notIn, { k: 'y' })).toBe(true);
  expect(matchesLabelSelector(notIn, { k: 'x' })).toBe(false);
  const exists = sel({}, [{ key: 'k', operator: 'Exists' }]);
  expect(matchesLabelSelector(exists, { k: '' })).toBe(true);
  expect(matchesLabelSelector(exists, {})).toBe(false);
  const dne = sel({}, [{ key: 'k', operator: 'DoesNotExist' }]);
  expect(matchesLabelSelector(dne, {})).toBe(true);
  expect(matchesLabelSelector(dne, { k: 'v' })).toBe(false);
  expect(matchesLabelSelector(sel({ k: '' }), { k: '' })).toBe(true);
  // inherited properties are not labels
  expect(matchesLabelSelector(sel({}, [{ key: 'toString', operator: 'Exists' }]), {})).toBe(false);
});

test('selector lists: empty = no restriction, otherwise OR', () => {
  expect(matchesAnySelector([], undefined)).toBe(true);
  const l = [sel({ a: '1' }), sel({ b: '2' })];
  expect(matchesAnySelector(l, { b: '2' })).toBe(true);
  expect(matchesAnySelector(l, { c: '3' })).toBe(false);
});

test('label key and value syntax', () => {
  expect(labelKeyProblem('topology.kubernetes.io/zone')).toBeUndefined();
  expect(labelKeyProblem('app')).toBeUndefined();
  expect(labelKeyProblem('a/b/c')).toMatch(/more than one/);
  expect(labelKeyProblem('/x')).toMatch(/empty prefix/);
  expect(labelKeyProblem('Bad_Prefix/x')).toMatch(/DNS subdomain/);
  expect(labelKeyProblem('-x')).toMatch(/must start and end/);
  expect(labelKeyProblem('x'.repeat(64))).toMatch(/longer than 63/);
  expect(labelValueProblem('')).toBeUndefined();
  expect(labelValueProblem('a.b-c_d')).toBeUndefined();
  expect(labelValueProblem('a b')).toMatch(/must start and end/);
  expect(labelValueProblem('x'.repeat(64))).toMatch(/longer than 63/);
});
