import { Random } from '../src/random';

describe('Random', () => {
  test('same seed, same sequence; different seed, different sequence', () => {
    const a = new Random(42);
    const b = new Random(42);
    const c = new Random(43);
    const seqA = [a.next(), a.next(), a.next()];
    expect([b.next(), b.next(), b.next()]).toEqual(seqA);
    expect([c.next(), c.next(), c.next()]).not.toEqual(seqA);
    for (const v of seqA) expect(v >= 0 && v < 1).toBe(true);
  });

  test('helpers stay in range and alphabet', () => {
    const r = new Random(7);
    for (let i = 0; i < 200; i++) {
      const n = r.int(10);
      expect(n >= 0 && n < 10 && Number.isInteger(n)).toBe(true);
    }
    expect(r.hex(64)).toMatch(/^[0-9a-f]{64}$/);
    expect(r.nameSuffix(5)).toMatch(/^[bcdfghjklmnpqrstvwxz2456789]{5}$/);
    expect(Random.seedOf('host')).toBe(Random.seedOf('host'));
    expect(Random.seedOf('host')).not.toBe(Random.seedOf('edge-1'));
  });
});
