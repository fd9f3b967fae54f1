/**
 * /metrics of a pool of worker processes (SESAM_WORKERS > 1, node:cluster): the worker that
 * serves the scrape asks the primary over IPC, the primary asks every listening worker for its
 * registry as JSON and sums them with prom-client's `AggregatorRegistry.aggregate` (counters and
 * histograms added, the process's start time omitted, event-loop lag averaged, as prom-client
 * marks them), and answers the text exposition. One scrape target is one deployment instance, so
 * no label per worker: worker ids change with every replacement, and Prometheus would keep a
 * series per dead worker. `sesam_workers` says how many workers the sums cover.
 * (prom-client's own cluster support works on its global registry; Sesam keeps one registry per
 * instance, src/observability/metrics.ts, and asks only workers that listen, so a worker still
 * starting or just replaced never stalls a scrape.)
 */
import type { Worker } from 'node:cluster';
import { AggregatorRegistry, Gauge, type MetricObjectWithValues, type MetricValue } from 'prom-client';
import type { Metrics } from './metrics.js';

export interface Exposition {
  contentType: string;
  body: string;
}

/** The messages of the protocol, told apart from any other IPC message by `sesam`. */
type Message =
  | { sesam: 'metrics:ask'; id: number }
  | { sesam: 'metrics:collect'; id: number }
  | { sesam: 'metrics:report'; id: number; metrics: MetricObjectWithValues<MetricValue<string>>[] }
  | { sesam: 'metrics:answer'; id: number; exposition?: Exposition; error?: string };

const isMessage = (m: unknown): m is Message => typeof m === 'object' && m !== null && typeof (m as { sesam?: unknown }).sesam === 'string';

/** How long the pool's answer, and each worker's report, may take. */
const TIMEOUT_MS = 3000;

/**
 * In a worker: answers the primary's requests for this worker's registry, and gives the pool's
 * exposition (asked of the primary) for GET /metrics. `stop` removes the listener.
 */
export function poolMetricsWorker(metrics: Metrics, channel: NodeJS.Process = process): { exposition(): Promise<Exposition>; stop(): void } {
  let next = 0;
  const waiting = new Map<number, (answer: Extract<Message, { sesam: 'metrics:answer' }>) => void>();
  const onMessage = (message: unknown) => {
    if (!isMessage(message)) return;
    if (message.sesam === 'metrics:collect') {
      void metrics.registry.getMetricsAsJSON().then((json) => channel.send?.({ sesam: 'metrics:report', id: message.id, metrics: json } satisfies Message));
    } else if (message.sesam === 'metrics:answer') {
      waiting.get(message.id)?.(message);
    }
  };
  channel.on('message', onMessage);
  return {
    exposition() {
      const id = next++;
      return new Promise<Exposition>((resolve, reject) => {
        const timer = setTimeout(() => settle({ sesam: 'metrics:answer', id, error: 'the primary process did not answer' }), TIMEOUT_MS + 1000);
        const settle = (answer: Extract<Message, { sesam: 'metrics:answer' }>) => {
          clearTimeout(timer);
          waiting.delete(id);
          if (answer.exposition) resolve(answer.exposition);
          else reject(new Error(`pool metrics: ${answer.error ?? 'no answer'}`));
        };
        waiting.set(id, settle);
        channel.send?.({ sesam: 'metrics:ask', id } satisfies Message);
      });
    },
    stop() {
      channel.off('message', onMessage);
    },
  };
}

/**
 * In the primary: answers a worker's `metrics:ask` with the sum of the registries of `listening()`
 * workers (those that answer within the timeout; a worker that dies meanwhile is left out).
 */
export function poolMetricsPrimary(listening: () => Worker[]): { onMessage(worker: Worker, message: unknown): void } {
  let next = 0;
  const gathering = new Map<number, (worker: Worker, metrics: MetricObjectWithValues<MetricValue<string>>[]) => void>();

  async function gather(): Promise<Exposition> {
    const workers = listening();
    const id = next++;
    const reports = await new Promise<MetricObjectWithValues<MetricValue<string>>[][]>((resolve) => {
      const got = new Map<Worker, MetricObjectWithValues<MetricValue<string>>[]>();
      const done = () => {
        clearTimeout(timer);
        gathering.delete(id);
        resolve([...got.values()]);
      };
      const timer = setTimeout(done, TIMEOUT_MS);
      gathering.set(id, (worker, metrics) => {
        got.set(worker, metrics);
        if (got.size === workers.length) done();
      });
      for (const worker of workers) worker.send({ sesam: 'metrics:collect', id } satisfies Message);
      if (!workers.length) done();
    });
    const registry = AggregatorRegistry.aggregate(reports);
    new Gauge({ name: 'sesam_workers', help: 'Worker processes whose metrics this exposition adds up.', registers: [registry] }).set(reports.length);
    return { contentType: registry.contentType, body: await registry.metrics() };
  }

  return {
    onMessage(worker, message) {
      if (!isMessage(message)) return;
      if (message.sesam === 'metrics:report') gathering.get(message.id)?.(worker, message.metrics);
      else if (message.sesam === 'metrics:ask') {
        gather().then(
          (exposition) => worker.isConnected() && worker.send({ sesam: 'metrics:answer', id: message.id, exposition } satisfies Message),
          (e: unknown) => worker.isConnected() && worker.send({ sesam: 'metrics:answer', id: message.id, error: (e as Error).message } satisfies Message),
        );
      }
    },
  };
}
