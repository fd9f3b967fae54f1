import { describe, expect, it } from '@jest/globals';
import { restartDelay } from '../../src/boot/worker-pool.js';

describe('restartDelay', () => {
  it('waits a quarter of a second after a first crash, then twice as long after each further one, at most 30 s', () => {
    expect([1, 2, 3, 4, 5].map(restartDelay)).toEqual([250, 500, 1000, 2000, 4000]);
    expect(restartDelay(8)).toBe(30_000);
    expect(restartDelay(50)).toBe(30_000);
  });
});
