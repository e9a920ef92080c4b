import { parseQuantity } from '../../src/contract/quantity';

describe('parseQuantity', () => {
  test.each([
    ['100m', 0.1], ['1', 1], ['1.5', 1.5], ['.5', 0.5], ['64Mi', 64 * 2 ** 20], ['100M', 1e8], ['1Gi', 2 ** 30], ['2k', 2000],
    ['1e3', 1000], ['1E3', 1000], ['5E', 5e18], ['10n', 1e-8], ['+1', 1],
  ])('parseQuantity(%s)', (q, expected) => {
    expect(parseQuantity(q)).toBeCloseTo(expected as number, 12);
  });

  test.each(['', 'abc', '1 Gi', '1GB', '-1', '1mi', ' 1', '1.2.3'])('parseQuantity rejects %j', q => {
    expect(parseQuantity(q)).toBeUndefined();
  });
});
