import { describe, expect, it } from 'vitest';
import { chainLength } from '../bench/round-trips';

describe('round trips: the longest chain of requests each sent after the one before answered', () => {
  it.each([
    [[], 0],
    [[{ start: 0, end: 10 }], 1],
    // Sent together: one round trip.
    [
      [
        { start: 0, end: 10 },
        { start: 1, end: 12 },
        { start: 2, end: 9 },
      ],
      1,
    ],
    // One after the other: two.
    [
      [
        { start: 0, end: 10 },
        { start: 11, end: 20 },
      ],
      2,
    ],
    // Two in parallel, then one that waited for the first to answer: two.
    [
      [
        { start: 0, end: 10 },
        { start: 0, end: 30 },
        { start: 12, end: 25 },
      ],
      2,
    ],
    [
      [
        { start: 0, end: 5 },
        { start: 6, end: 9 },
        { start: 10, end: 15 },
        { start: 1, end: 14 },
      ],
      3,
    ],
  ])('%j: %d', (calls, n) => {
    expect(chainLength(calls)).toBe(n);
  });
});
