/**
 * A key-value store that reports how long each operation took (the metrics' store latency),
 * without knowing where the time goes: `observe` gets the operation's name and its seconds,
 * also when it failed.
 */
import type { KeyValueStore } from './kv.js';

export type KvOperation = keyof KeyValueStore;

export function timedKeyValueStore(store: KeyValueStore, observe: (op: KvOperation, seconds: number) => void): KeyValueStore {
  const timed = async <T>(op: KvOperation, run: () => Promise<T>): Promise<T> => {
    const start = process.hrtime.bigint();
    try {
      return await run();
    } finally {
      observe(op, Number(process.hrtime.bigint() - start) / 1e9);
    }
  };
  return {
    get: <T>(key: string) => timed('get', () => store.get<T>(key)),
    set: (key, value, ttl) => timed('set', () => store.set(key, value, ttl)),
    delete: (key) => timed('delete', () => store.delete(key)),
    take: <T>(key: string) => timed('take', () => store.take<T>(key)),
    increment: (key, ttl) => timed('increment', () => store.increment(key, ttl)),
    add: (key, delta, ttl) => timed('add', () => store.add(key, delta, ttl)),
  };
}
