import { formatDuration, parseDuration } from '../src/duration';
import { UsageError } from '../src/errors';

test.each([['90s', 90_000], ['5m', 300_000], ['1h30m', 5_400_000], ['500ms', 500], ['2', 2_000], ['1.5s', 1_500]])('%s', (text, ms) => {
  expect(parseDuration(text as string)).toBe(ms);
});

test.each(['', 'soon', '5 minutes', '-1s', '0s', '5x'])('rejects %j', text => {
  expect(() => parseDuration(text, '--timeout')).toThrow(UsageError);
});

test.each([[0, '0s'], [300, '0.3s'], [1000, '1s'], [9_950, '9.9s'], [45_000, '45s'], [300_000, '5m'], [3_900_000, '1h5m'], [7_200_000, '2h']])('formats %d ms as %s', (ms, text) => {
  expect(formatDuration(ms as number)).toBe(text);
});
