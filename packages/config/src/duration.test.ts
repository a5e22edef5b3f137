import { formatDuration, parseDuration } from './duration.ts';

test.each([
  ['0s', 0],
  ['90s', 90],
  ['1m30s', 90],
  ['2m', 120],
  ['1h', 3600],
  ['1h1m1s', 3661],
  ['120s', 120],
])('%s = %ds', (text, seconds) => {
  expect(parseDuration(text)).toEqual({ ok: true, seconds });
});

test.each(['', '90', '1.5s', '100ms', '-1s', '1s1m', ' 1s', 's', '1d'])('rejects %j', (text) => {
  expect(parseDuration(text).ok).toBe(false);
});

test('format', () => {
  expect([0, 9, 90, 3600, 3661].map(formatDuration)).toEqual(['0s', '9s', '1m30s', '1h', '1h1m1s']);
});
