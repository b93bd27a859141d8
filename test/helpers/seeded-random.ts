/** xorshift32: the same seed gives the same hostile inputs on every run, so a failure can be replayed. */
export interface SeededRandom {
  next: () => number;
  below: (n: number) => number;
  pick: <T>(items: readonly T[]) => T;
  bytes: (n: number) => Buffer;
  chance: (p: number) => boolean;
}

export function seededRandom(seed: number): SeededRandom {
  let x = seed >>> 0 || 1;
  const next = () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x;
  };
  const below = (n: number) => next() % n;
  return {
    next,
    below,
    pick: (items) => items[below(items.length)] as (typeof items)[number],
    bytes: (n) => Buffer.from(Array.from({ length: n }, () => below(256))),
    chance: (p) => next() / 0x1_0000_0000 < p,
  };
}
