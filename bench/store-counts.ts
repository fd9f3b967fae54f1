/**
 * What one operation asks of the stores: Redis commands, by command (CONFIG RESETSTAT, then
 * INFO commandstats after the batch), and SQL statements (Sesam's `sesam_db_queries_total`
 * counter, knex's `query` events, read from GET /metrics before and after). The operations run
 * one after the other, so nothing else of the bench's is counted with them.
 */
import { Redis } from 'ioredis';
import { round } from './numbers.js';

/** Our own reading commands, left out of the counts. */
const OURS = new Set(['info', 'config', 'hello', 'client', 'select', 'ping']);

/** Calls per command since the last reset, from INFO commandstats (`cmdstat_get:calls=12,…`). */
async function commandStats(redis: Redis): Promise<Record<string, number>> {
  const info = await redis.info('commandstats');
  const stats: Record<string, number> = {};
  for (const m of info.matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm)) if (!OURS.has(m[1].split('|')[0].toLowerCase()) && Number(m[2]) > 0) stats[m[1]] = Number(m[2]);
  return stats;
}

/** The SQL statements the server has counted so far (its own /metrics, from the loopback). */
export async function sqlStatements(serverUrl: string): Promise<number> {
  const res = await fetch(`${serverUrl}/metrics`);
  const text = await res.text();
  const m = /^sesam_db_queries_total (\S+)$/m.exec(text);
  if (res.status !== 200 || !m) throw new Error(`${serverUrl}/metrics: no sesam_db_queries_total (${res.status})`);
  return Number(m[1]);
}

export interface StoreCounts {
  operations: number;
  /** Per operation. */
  sqlStatements: number;
  redisCommands?: number;
  redisByCommand?: Record<string, number>;
}

/** Runs `operation` `n` times in a row on the server at `serverUrl` and counts what the stores were asked, per operation. */
export async function countStoreCommands(serverUrl: string, redisUrl: string | undefined, n: number, operation: (i: number) => Promise<unknown>): Promise<StoreCounts> {
  const redis = redisUrl ? new Redis(redisUrl, { maxRetriesPerRequest: 1 }) : undefined;
  try {
    await redis?.config('RESETSTAT');
    const sql0 = await sqlStatements(serverUrl);
    for (let i = 0; i < n; i++) await operation(i);
    const sql1 = await sqlStatements(serverUrl);
    const counts: StoreCounts = { operations: n, sqlStatements: round((sql1 - sql0) / n, 1) };
    if (redis) {
      const stats = await commandStats(redis);
      counts.redisCommands = round(Object.values(stats).reduce((a, b) => a + b, 0) / n, 1);
      counts.redisByCommand = Object.fromEntries(Object.entries(stats).sort((a, b) => b[1] - a[1]).map(([cmd, calls]) => [cmd, round(calls / n, 1)]));
    }
    return counts;
  } finally {
    redis?.disconnect();
  }
}
