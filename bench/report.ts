/** The report on stdout: one table per measure, the goals beside the figures, warnings last. */
import { PASSKEY_STEPS, STEPS } from './journeys.js';
import type { StepFigures } from './sign-in-loops.js';
import { CPU_GOAL, RATIO_GOALS, type Results } from './results.js';
import { SCENARIOS } from './token-requests.js';

const pad = (s: string | number | undefined, n: number) => String(s ?? '?').padEnd(n);
const lpad = (s: string | number | undefined, n: number) => String(s ?? '?').padStart(n);
const fixed = (v: number | undefined, d = 2) => (v === undefined || !Number.isFinite(v) ? '?' : v.toFixed(d));
const met = (ok: boolean) => (ok ? 'met' : 'NOT met');

function stepRows(out: string[], steps: Partial<Record<string, StepFigures>>, order: readonly string[]): void {
  out.push(`  ${pad('step', 18)}${lpad('count', 7)}${lpad('p50 ms', 9)}${lpad('p99 ms', 9)}${lpad('max ms', 9)}`);
  for (const step of order) {
    const st = steps[step];
    if (st) out.push(`  ${pad(step, 18)}${lpad(st.count, 7)}${lpad(st.p50Ms, 9)}${lpad(st.p99Ms, 9)}${lpad(st.maxMs, 9)}`);
  }
}

export function renderReport(r: Results, files: { json: string; svg: string }): string {
  const m = r.machine;
  const s = r.settings as { short: boolean; connections: number; virtualUsers: number; signInSeconds: number };
  const out: string[] = [''];
  out.push(`Sesam benchmark${s.short ? ' (SHORT: a smoke test, not a measure)' : ''}: ${m.cores} CPUs (${m.cpuModel}), ${m.ramGB} GiB, Node ${m.node}, oidc-provider ${m.oidcProvider}, ${r.date}`);
  out.push('');

  out.push(`Protocol requests per second (autocannon, ${s.connections} connections; ratio to bare oidc-provider, Sesam's engine configuration on its in-memory adapter)`);
  out.push(`  ${pad('', 20)}${lpad('bare', 8)}${lpad('PG+Redis', 10)}${lpad('ratio', 7)}${lpad('embedded', 10)}${lpad('ratio', 7)}   goal`);
  for (const sc of SCENARIOS) {
    const p = r.protocol[sc];
    const goals = RATIO_GOALS[sc];
    const goal = goals
      ? Object.entries(goals)
          .map(([k, g]) => `${k === 'sesamRedis' ? 'PG+Redis' : 'embedded'} >= ${g}: ${met(p[k as 'sesamRedis' | 'embedded'].ratio >= g!)}`)
          .join(', ')
      : '';
    out.push(`  ${pad(sc, 20)}${lpad(p.bare.rps, 8)}${lpad(p.sesamRedis.rps, 10)}${lpad(fixed(p.sesamRedis.ratio), 7)}${lpad(p.embedded.rps, 10)}${lpad(fixed(p.embedded.ratio), 7)}   ${goal}`);
  }
  out.push(`  (server CPU ms per request, bare / PG+Redis / embedded: ${SCENARIOS.map((sc) => `${sc} ${fixed(r.protocol[sc].bare.cpu.serverMs)}/${fixed(r.protocol[sc].sesamRedis.cpu.serverMs)}/${fixed(r.protocol[sc].embedded.cpu.serverMs)}`).join('; ')})`);
  out.push('');

  const si = r.signIn;
  const cpu = si.cpuVsArgon2;
  out.push(`Password sign-ins, Sesam PG+Redis (${si.concurrentJourneys.virtualUsers} concurrent journeys, ${si.concurrentJourneys.seconds} s)`);
  out.push(`  sign-ins/s                        ${si.concurrentJourneys.signInsPerSecond}  (${si.concurrentJourneys.failures} failed)`);
  out.push(`  argon2id bound/s                  ${si.argon2.perSecond}  (m=${si.argon2.params.memoryCost} KiB t=${si.argon2.params.timeCost} p=${si.argon2.params.parallelism}, this process alone)   ratio ${fixed(si.ratioToArgon2Bound)}`);
  out.push(
    `  SERVER CPU PER SIGN-IN            ${cpu.serverCpuMsPerSignIn} ms = ${fixed(cpu.serverToArgon2)} × one argon2id verification (${cpu.argon2CpuMsPerVerification} ms)   goal <= ${CPU_GOAL}×: ${met(cpu.goalMet)}`,
  );
  out.push(`  with PostgreSQL's and Redis's CPU ${fixed(cpu.withStoresToArgon2)} ×  (stores ${cpu.storesCpuMsPerSignIn ?? '?'} ms, load generator ${cpu.loadGeneratorCpuMsPerSignIn ?? '?'} ms per sign-in)`);
  out.push(`  per step, ${si.concurrentJourneys.virtualUsers} concurrent journeys (a saturated server: mostly queueing):`);
  stepRows(out, si.concurrentJourneys.steps, STEPS);
  if (si.openLoop) {
    const o = si.openLoop;
    out.push(`  per step below saturation (open loop, ${o.ratePerSecond}/s = ${o.fractionOfThroughput} × the above, ${o.signIns} sign-ins, at most ${o.maxInFlight} at once; worst p99 without hashing ${o.fastStepsWorstP99Ms} ms, goal < 25):`);
    stepRows(out, o.steps, STEPS);
  }
  if (si.concurrentJourneys.firstFailures.length) out.push(`  failures: ${si.concurrentJourneys.firstFailures.join(' | ')}`);
  out.push('');
  const pk = r.passkeySignIn;
  out.push(`Passkey sign-ins, same server: ${pk.concurrentJourneys.signInsPerSecond}/s with ${pk.concurrentJourneys.virtualUsers} concurrent journeys (${pk.concurrentJourneys.failures} failed), server CPU ${pk.concurrentJourneys.cpuPerSignIn?.serverMs ?? '?'} ms per sign-in${pk.openLoop ? `; worst step p99 below saturation ${pk.openLoop.worstStepP99Ms} ms at ${pk.openLoop.ratePerSecond}/s` : ''}`);
  stepRows(out, pk.concurrentJourneys.steps, PASSKEY_STEPS);
  out.push('');

  const sc = r.storeCounts;
  const top = (byCommand?: Record<string, number>) =>
    Object.entries(byCommand ?? {})
      .slice(0, 8)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ');
  out.push(`Store commands per operation (${sc.passwordSignIn.operations} sign-ins one after the other; SQL: sesam_db_queries_total; Redis: INFO commandstats)`);
  out.push(`  password sign-in, PG+Redis   SQL ${sc.passwordSignIn.sqlStatements}  Redis ${sc.passwordSignIn.redisCommands ?? '?'}  (${top(sc.passwordSignIn.redisByCommand)})`);
  if (sc.passkeySignIn) out.push(`  passkey sign-in, PG+Redis    SQL ${sc.passkeySignIn.sqlStatements}  Redis ${sc.passkeySignIn.redisCommands ?? '?'}  (${top(sc.passkeySignIn.redisByCommand)})`);
  out.push(`  password sign-in, embedded   SQL ${sc.embeddedPasswordSignIn.sqlStatements}`);
  for (const [name, c] of Object.entries(sc.requests)) out.push(`  ${pad(name, 29)}SQL ${c.sqlStatements}  Redis ${c.redisCommands ?? '?'}  (${top(c.redisByCommand)})`);
  out.push('');

  out.push(`Resident memory (MiB)          after start   peak under load`);
  for (const [k, label] of [
    ['sesamRedis', 'Sesam PG+Redis'],
    ['embedded', 'Sesam embedded'],
    ['bare', 'bare oidc-provider'],
  ] as const) {
    out.push(`  ${pad(label, 29)}${lpad(r.memory[k].afterStartMB, 11)}${lpad(r.memory[k].underLoadMB, 18)}`);
  }
  out.push('');
  out.push(`Start to ready (node dist/src/main.js until GET /readyz answers 200)   ms    idle RSS MiB`);
  for (const [k, label] of [
    ['embeddedFresh', 'embedded, fresh folder'],
    ['embeddedExisting', 'embedded, existing folder'],
    ['pgRedisFresh', 'PG+Redis, fresh database'],
    ['pgRedisExisting', 'PG+Redis, existing database'],
  ] as const) {
    out.push(`  ${pad(label, 66)}${lpad(r.startup[k].readyMs, 6)}${lpad(r.startup[k].idleRssMB, 10)}`);
  }
  out.push('');
  out.push(`Worker processes (SESAM_WORKERS, PG+Redis; CPU and memory of the primary and its workers together)`);
  out.push(`  ${pad('N', 4)}${lpad('processes', 10)}${lpad('ready ms', 10)}${lpad('sign-ins/s', 12)}${lpad('CPU ms/sign-in', 16)}${lpad('cc/s', 8)}${lpad('RSS idle', 10)}${lpad('RSS load', 10)}`);
  for (const w of r.workers) {
    out.push(`  ${pad(w.workers, 4)}${lpad(w.processes, 10)}${lpad(w.readyMs, 10)}${lpad(w.signInsPerSecond, 12)}${lpad(w.serverCpuMsPerSignIn, 16)}${lpad(w.clientCredentialsPerSecond, 8)}${lpad(w.idleRssMB, 10)}${lpad(w.loadRssMB, 10)}`);
  }
  if (r.workers.some((w) => w.workers > 1 && w.processes === 1)) out.push('  (one process whatever N: this server does not know SESAM_WORKERS yet)');
  out.push('');
  if (m.busyBeforeRun !== undefined && m.busyBeforeRun > 0.1) out.push(`WARNING: other jobs kept the machine ${Math.round(m.busyBeforeRun * 100)}% busy just before the run.`);
  for (const d of r.disturbedBy) out.push(`WARNING: other jobs used ${Math.round(d.foreignShare * 100)}% of the machine during ${d.what}; that figure is low.`);
  out.push(`total ${r.totalSeconds} s; every figure in ${files.json}, the chart in ${files.svg}`);
  return out.join('\n');
}
