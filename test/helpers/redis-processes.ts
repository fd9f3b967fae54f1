/**
 * Throw-away Redis topologies on loopback for tests, made of real `redis-server` processes: a
 * Redis Cluster of three masters, and a master watched by one Sentinel. Random free ports, temp
 * folders, no persistence; `stop` kills the processes and removes the folders. Nothing is shared
 * with the Redis on 6379, so the tests may look at every key.
 */
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { promisify } from 'node:util';
import { Redis } from 'ioredis';
import { freePort } from './server.js';
import { tmpDir } from './stores.js';

const REDIS_SERVER = process.env.REDIS_SERVER ?? 'redis-server';
const REDIS_CLI = process.env.REDIS_CLI ?? 'redis-cli';
const run = promisify(execFile);

export interface RedisProcesses {
  /** The REDIS_URL naming the topology. */
  url: string;
  /** The data nodes (the cluster's masters, or the sentinel's master), for looking at keys. */
  nodes: { host: string; port: number }[];
  stop(): Promise<void>;
}

interface Started {
  child: ChildProcess;
  port: number;
  /** What the process wrote to stderr: why it exited, when it did. */
  stderr(): string;
}

/** Three masters, all 16384 slots spread over them (redis-cli --cluster create), state ok. */
export async function startRedisCluster(size = 3): Promise<RedisProcesses> {
  const dir = tmpDir();
  const started: Started[] = [];
  try {
    for (let i = 0; i < size; i++) {
      const nodeDir = path.join(dir, `node-${i}`);
      fs.mkdirSync(nodeDir);
      const port = await freePortWithBus();
      started.push(
        launch(
          [
            '--port', String(port), '--bind', '127.0.0.1', '--dir', nodeDir,
            '--cluster-enabled', 'yes', '--cluster-config-file', 'nodes.conf',
            '--cluster-node-timeout', '5000', '--save', '', '--appendonly', 'no', '--loglevel', 'warning',
          ],
          port,
        ),
      );
    }
    await Promise.all(started.map((s) => answers(s)));
    const addresses = started.map((s) => `127.0.0.1:${s.port}`);
    await run(REDIS_CLI, ['--cluster', 'create', ...addresses, '--cluster-replicas', '0', '--cluster-yes'], { timeout: 20_000 });
    // Every node must see every slot assigned before a client's first CLUSTER SLOTS is trusted.
    await Promise.all(started.map((s) => until(s.port, async (r) => /cluster_state:ok/.test(await r.cluster('INFO')))));
  } catch (error) {
    await stopAll(started, dir);
    throw error;
  }
  return {
    url: `redis+cluster://${started.map((s) => `127.0.0.1:${s.port}`).join(',')}`,
    nodes: started.map((s) => ({ host: '127.0.0.1', port: s.port })),
    stop: () => stopAll(started, dir),
  };
}

/** One master and one Sentinel watching it as `name` (quorum 1). */
export async function startRedisSentinel(name = 'sesam-master'): Promise<RedisProcesses> {
  const dir = tmpDir();
  const started: Started[] = [];
  try {
    const port = await freePort();
    started.push(launch(['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'no', '--loglevel', 'warning'], port));
    await answers(started[0]);
    const sentinelPort = await freePort();
    // A Sentinel rewrites its configuration file: it needs one of its own, writable.
    const conf = path.join(dir, 'sentinel.conf');
    fs.writeFileSync(conf, [`port ${sentinelPort}`, 'bind 127.0.0.1', `dir ${dir}`, `sentinel monitor ${name} 127.0.0.1 ${port} 1`, ''].join('\n'));
    started.push(launch([conf, '--sentinel', '--loglevel', 'warning'], sentinelPort));
    await until(sentinelPort, async (r) => {
      const address = (await r.call('SENTINEL', 'get-master-addr-by-name', name)) as string[] | null;
      return address?.[1] === String(port);
    });
    return {
      url: `redis+sentinel://127.0.0.1:${sentinelPort}/${name}`,
      nodes: [{ host: '127.0.0.1', port }],
      stop: () => stopAll(started, dir),
    };
  } catch (error) {
    await stopAll(started, dir);
    throw error;
  }
}

/** A direct connection to one node (no cluster redirections: to see what that node holds). */
export function connectNode(node: { host: string; port: number }): Redis {
  return new Redis({ host: node.host, port: node.port, maxRetriesPerRequest: 1 });
}

/**
 * A free port whose cluster bus port (port + 10000) is free too. `--cluster-port` would choose the
 * bus port freely, but only from Redis 7 on; CI installs whatever redis-server its distribution has.
 */
async function freePortWithBus(): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const port = 20_000 + Math.floor(Math.random() * 35_000);
    if ((await canListen(port)) && (await canListen(port + 10_000))) return port;
  }
  throw new Error('no free port pair (port, port + 10000) found');
}

function canListen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

function launch(args: string[], port: number): Started {
  const child = spawn(REDIS_SERVER, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  // A test run that ends without `stop` (a crash, jest's forced exit) leaves no server behind.
  const reap = () => child.kill('SIGKILL');
  process.once('exit', reap);
  child.once('exit', () => process.off('exit', reap));
  // A process that cannot start (port taken, missing binary) fails the wait below with its stderr.
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  child.on('error', (e) => (stderr += String(e)));
  return { child, port, stderr: () => stderr };
}

async function answers(s: Started): Promise<void> {
  await until(s.port, async (r) => (await r.ping()) === 'PONG', s);
}

/** Polls a node until `check` holds (10 s at most), on a connection that does not retry by itself. */
async function until(port: number, check: (r: Redis) => Promise<boolean>, s?: Started): Promise<void> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const r = new Redis({ host: '127.0.0.1', port, lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
    r.on('error', () => undefined);
    try {
      await r.connect();
      if (await check(r)) return;
    } catch {
      // not up yet
    } finally {
      r.disconnect();
    }
    if (s && s.child.exitCode !== null) throw new Error(`redis-server on ${port} exited: ${s.stderr()}`);
    if (Date.now() > deadline) throw new Error(`redis on port ${port} not ready within 10 s`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

async function stopAll(started: Started[], dir: string): Promise<void> {
  await Promise.all(
    started.map(
      ({ child }) =>
        new Promise<void>((resolve) => {
          if (child.exitCode !== null || child.signalCode !== null) return resolve();
          child.once('exit', () => resolve());
          child.kill('SIGKILL');
        }),
    ),
  );
  fs.rmSync(dir, { recursive: true, force: true });
}
