/**
 * Sesam on a Redis Cluster (issue 13) and behind Redis Sentinel, with real redis-server
 * processes on loopback. On the cluster: two instances on one PostgreSQL behind a round-robin
 * proxy; a sign-in alternating between them at every request, its tokens refreshed and
 * introspected through both, its code replayed (which revokes the grant), an admin change announced over the
 * cluster's pub/sub; and the keys spread over several nodes, so the cluster (not one node of it)
 * carried the deployment. Behind Sentinel: an instance reaches the master the sentinel names and
 * a sign-in completes.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import * as oidc from 'openid-client';
import { startRedisCluster, startRedisSentinel, connectNode, type RedisProcesses } from '../helpers/redis-processes.js';
import { exchangeCode } from '../helpers/browser.js';
import { startTwoInstances, signInAlternating, clientChangeSeenByOther, SECRET, type Deployment } from '../helpers/instances.js';

/** The keys one node holds under the deployment's prefix (SCAN on that node alone). */
async function keysOn(node: RedisProcesses['nodes'][number], prefix: string): Promise<string[]> {
  const redis = connectNode(node);
  try {
    const keys: string[] = [];
    let cursor = '0';
    do {
      const [next, batch] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
      keys.push(...batch);
      cursor = next;
    } while (cursor !== '0');
    return keys;
  } finally {
    redis.disconnect();
  }
}

async function introspect(server: string, token: string): Promise<{ active: boolean; sub?: string }> {
  const res = await fetch(`${server}/token/introspection`, {
    method: 'POST',
    headers: { authorization: `Basic ${Buffer.from(`app:${SECRET}`).toString('base64')}`, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ token }),
  });
  expect(res.status).toBe(200);
  return (await res.json()) as { active: boolean; sub?: string };
}

describe('two instances on a Redis Cluster', () => {
  let cluster: RedisProcesses;
  let deployment: Deployment;

  beforeAll(async () => {
    cluster = await startRedisCluster();
    deployment = await startTwoInstances({ url: cluster.url });
  }, 60_000);
  afterAll(async () => {
    await deployment?.stop();
    await cluster?.stop();
  });

  it('a sign-in alternates between the instances at every request; tokens refresh and introspect on both; a replayed code revokes them', async () => {
    const { a, b } = deployment;
    expect(a.env.REDIS_URL).toMatch(/^redis\+cluster:\/\//);
    const { rp, journey, tokens } = await signInAlternating(deployment);
    const sub = tokens.claims()!.sub;
    expect(tokens.refresh_token).toBeTruthy();

    // Two refreshes through the proxy: one on each instance, each reading what the other wrote.
    const refreshed = await oidc.refreshTokenGrant(rp.config, tokens.refresh_token!);
    const again = await oidc.refreshTokenGrant(rp.config, refreshed.refresh_token ?? tokens.refresh_token!);
    for (const server of [a.url, b.url]) {
      for (const token of [tokens.access_token, again.access_token, tokens.refresh_token!]) expect(await introspect(server, token)).toMatchObject({ active: true, sub });
    }

    // The code was consumed on one instance; its replay, on the other, is refused and revokes the
    // grant: every token of it, wherever its key lives in the cluster, is gone for both instances.
    await expect(exchangeCode(rp, journey.callback!, journey.request!)).rejects.toMatchObject({ error: 'invalid_grant' });
    for (const server of [a.url, b.url]) {
      for (const token of [tokens.access_token, again.access_token, tokens.refresh_token!]) expect((await introspect(server, token)).active).toBe(false);
    }
  });

  it('a client changed through one instance is seen by the other within a second (pub/sub over the cluster)', async () => {
    await clientChangeSeenByOther(deployment);
  });

  it('spread the deployment’s keys over more than one node', async () => {
    const prefix = deployment.a.env.REDIS_KEY_PREFIX;
    const perNode = await Promise.all(cluster.nodes.map((node) => keysOn(node, prefix)));
    expect(perNode.filter((keys) => keys.length > 0).length).toBeGreaterThan(1);
    // The provider's artifacts and their grant indexes among them, not only counters.
    const all = perNode.flat();
    expect(all.some((k) => k.startsWith(`${prefix}oidc:Session:`))).toBe(true);
    expect(all.some((k) => k.startsWith(`${prefix}oidc:account:`))).toBe(true);
  });
});

describe('an instance behind Redis Sentinel', () => {
  let sentinel: RedisProcesses;
  let deployment: Deployment;

  beforeAll(async () => {
    sentinel = await startRedisSentinel();
    deployment = await startTwoInstances({ url: sentinel.url });
  }, 60_000);
  afterAll(async () => {
    await deployment?.stop();
    await sentinel?.stop();
  });

  it('signs in through the master the sentinel names', async () => {
    expect(deployment.a.env.REDIS_URL).toMatch(/^redis\+sentinel:\/\//);
    await signInAlternating(deployment);
    // The session landed on the master (only reachable through the sentinel's answer).
    const keys = await keysOn(sentinel.nodes[0], deployment.a.env.REDIS_KEY_PREFIX);
    expect(keys.some((k) => k.startsWith(`${deployment.a.env.REDIS_KEY_PREFIX}oidc:Session:`))).toBe(true);
  });
});
