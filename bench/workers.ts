/**
 * The server operators run, with SESAM_WORKERS=N (node:cluster: a primary and N workers on one
 * port) on PostgreSQL + Redis, for each N of BENCH_WORKER_COUNTS: password sign-ins/s (closed
 * loop) and client_credentials grants/s, with the CPU and resident memory of the primary and its
 * workers together. A server that does not know SESAM_WORKERS runs one process whatever N: the
 * `processes` figure says how many there were.
 */
import { VUS, WORKER_S, SIGNIN_WARMUP_S } from './config.js';
import { compareServers, type RequestSpec } from './http-load.js';
import { STEPS, signInOnce } from './journeys.js';
import { log, round, sleep } from './numbers.js';
import { rssPeak } from './process-usage.js';
import { startRealServer, waitForWorkers } from './real-server.js';
import { signIns } from './sign-in-loops.js';

export interface WorkerRunFigures {
  workers: number;
  /** Processes the server had under load (1 + N when SESAM_WORKERS is honoured). */
  processes: number;
  readyMs: number;
  idleRssMB: number;
  loadRssMB: number;
  signInsPerSecond: number;
  signInFailures: number;
  serverCpuMsPerSignIn?: number;
  clientCredentialsPerSecond: number;
  serverCpuMsPerClientCredentials: number;
}

/** `env`: the deployment (DATABASE_URL, REDIS_URL, SESAM_DATA_DIR of a database whose accounts exist). */
export async function workerRuns(counts: number[], env: Record<string, string>, ccSpec: RequestSpec): Promise<WorkerRunFigures[]> {
  const figures: WorkerRunFigures[] = [];
  for (const workers of counts) {
    log(`${workers} worker process(es): start, ${WORKER_S} s of sign-ins (${VUS} journeys), ${WORKER_S} s of client_credentials`);
    const server = await startRealServer(`sesam, ${workers} workers`, { ...env, SESAM_WORKERS: String(workers) });
    try {
      await waitForWorkers(server, workers);
      await sleep(500);
      const idleRssMB = server.usage().rssMB;
      const peak = rssPeak(server);
      const signIn = await signIns(server, STEPS, signInOnce, { vus: VUS, warmupS: Math.min(SIGNIN_WARMUP_S, 2), seconds: WORKER_S });
      const cc = await compareServers({ server }, { server: ccSpec }, { seconds: WORKER_S, rounds: 1 });
      figures.push({
        workers,
        processes: server.usage().processes,
        readyMs: server.readyMs,
        idleRssMB,
        loadRssMB: peak.stop(),
        signInsPerSecond: signIn.signInsPerSecond,
        signInFailures: signIn.failures,
        serverCpuMsPerSignIn: signIn.cpuPerSignIn?.serverMs,
        clientCredentialsPerSecond: cc.server.rps,
        serverCpuMsPerClientCredentials: round(cc.server.cpu.serverMs, 3),
      });
    } finally {
      await server.stop();
    }
  }
  return figures;
}
