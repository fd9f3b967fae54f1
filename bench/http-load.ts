/**
 * Fixed-request loads with autocannon: `connections` connections, each sending its next request
 * when the last is answered, against one or several servers. The measured time is cut into
 * ROUNDS slices run in turn with the other servers, so a burst of other work on the machine hits
 * every server alike; `rps` and the latencies are those of the best slice (other jobs only ever
 * lower a figure), `meanRps` is over all slices, `cpu` is per request over all slices.
 */
import autocannon from 'autocannon';
import { CONNECTIONS, MEASURE_S, ROUNDS, WARMUP_S } from './config.js';
import { round } from './numbers.js';
import { withCpu, type CpuSplit, type Measured } from './process-usage.js';

export interface RequestSpec {
  path: string;
  method: 'GET' | 'POST';
  headers?: Record<string, string>;
  body?: string;
}

/** A server the loads hit. */
export type Target = Measured & { url: string };

interface SliceFigures {
  rps: number;
  requests: number;
  seconds: number;
  latencyP50Ms: number;
  latencyP99Ms: number;
  non2xx: number;
  errors: number;
  cpu: CpuSplit;
}

export interface LoadFigures extends SliceFigures {
  meanRps: number;
  slices: { rps: number; foreignShare?: number }[];
}

/** One request by hand first, so a misconfiguration stops the run with its answer. */
export async function sanityCheck(server: Target, spec: RequestSpec, check: (status: number, body: string) => boolean): Promise<void> {
  const res = await fetch(server.url + spec.path, { method: spec.method, headers: spec.headers, body: spec.body });
  const body = await res.text();
  if (!check(res.status, body)) throw new Error(`${server.name} ${spec.method} ${spec.path}: unexpected answer ${res.status} ${body.slice(0, 300)}`);
}

const options = (server: Target, spec: RequestSpec, connections: number) => ({
  url: server.url + spec.path,
  method: spec.method,
  headers: spec.headers,
  body: spec.body,
  connections,
  pipelining: 1,
  timeout: 10,
});

async function slice(server: Target, spec: RequestSpec, seconds: number, connections: number): Promise<SliceFigures> {
  const { result: r, cpu } = await withCpu(server, async () => {
    const result = await autocannon({ ...options(server, spec, connections), duration: seconds });
    return { result, operations: result['2xx'] };
  });
  return {
    rps: round(r['2xx'] / r.duration, 0),
    requests: r['2xx'],
    seconds: r.duration,
    latencyP50Ms: r.latency.p50,
    latencyP99Ms: r.latency.p99,
    non2xx: r.non2xx,
    errors: r.errors,
    cpu,
  };
}

function summarize(slices: SliceFigures[]): LoadFigures {
  const best = slices.reduce((a, b) => (b.rps > a.rps ? b : a));
  const requests = slices.reduce((n, x) => n + x.requests, 0);
  const seconds = slices.reduce((n, x) => n + x.seconds, 0);
  const weighted = (pick: (c: CpuSplit) => number | undefined, by: (x: SliceFigures) => number, total: number, digits: number) => {
    if (slices.some((x) => pick(x.cpu) === undefined)) return undefined;
    return round(slices.reduce((n, x) => n + pick(x.cpu)! * by(x), 0) / Math.max(total, 1e-9), digits);
  };
  const perRequest = (pick: (c: CpuSplit) => number | undefined) => weighted(pick, (x) => x.requests, requests, 3);
  const perTime = (pick: (c: CpuSplit) => number | undefined) => weighted(pick, (x) => x.seconds, seconds, 2);
  return {
    rps: best.rps,
    meanRps: round(requests / seconds, 0),
    requests,
    seconds: round(seconds, 2),
    latencyP50Ms: best.latencyP50Ms,
    latencyP99Ms: best.latencyP99Ms,
    non2xx: slices.reduce((n, x) => n + x.non2xx, 0),
    errors: slices.reduce((n, x) => n + x.errors, 0),
    cpu: {
      serverMs: perRequest((c) => c.serverMs)!,
      loadMs: perRequest((c) => c.loadMs)!,
      storesMs: perRequest((c) => c.storesMs),
      foreignMs: perRequest((c) => c.foreignMs),
      machineBusy: perTime((c) => c.machineBusy),
      foreignShare: perTime((c) => c.foreignShare),
    },
    slices: slices.map((x) => ({ rps: x.rps, foreignShare: x.cpu.foreignShare })),
  };
}

/**
 * The same kind of request against each server (each its own spec: its own tokens), warm-up
 * first, then ROUNDS rounds of one slice per server, a different server first each round.
 */
export async function compareServers<K extends string>(
  servers: Record<K, Target>,
  specs: Record<K, RequestSpec>,
  { seconds = MEASURE_S, rounds = ROUNDS, warmupS = WARMUP_S, connections = CONNECTIONS } = {},
): Promise<Record<K, LoadFigures>> {
  const keys = Object.keys(servers) as K[];
  for (const key of keys) if (warmupS > 0) await autocannon({ ...options(servers[key], specs[key], connections), duration: warmupS });
  const slices = Object.fromEntries(keys.map((k) => [k, [] as SliceFigures[]])) as Record<K, SliceFigures[]>;
  for (let r = 0; r < rounds; r++) {
    for (let i = 0; i < keys.length; i++) {
      const key = keys[(i + r) % keys.length];
      slices[key].push(await slice(servers[key], specs[key], seconds / rounds, connections));
    }
  }
  return Object.fromEntries(keys.map((k) => [k, summarize(slices[k])])) as Record<K, LoadFigures>;
}
