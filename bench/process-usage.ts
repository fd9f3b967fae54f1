/**
 * What the processes cost, from Linux's /proc: the CPU time and resident memory of a server and
 * its child processes (node:cluster workers), of the PostgreSQL and Redis processes, and of the
 * whole machine. Elsewhere than Linux the readers give undefined and the figures go without.
 *
 * `cpuSplit` says where the CPU of a measured stretch went, per operation: the server, this
 * process (the load generator), the stores, and everything else ("foreign": other jobs on the
 * machine, which should be near 0, else the figures are disturbed).
 */
import fs from 'node:fs';
import os from 'node:os';
import { round, sleep } from './numbers.js';

const USER_HZ = 100;

/** A process tree's usage now: CPU time so far (ms, user + system, every thread) and resident memory (MiB). */
export interface Usage {
  cpuMs: number;
  rssMB: number;
  /** How many processes the tree has (the primary and its workers). */
  processes: number;
}

/** Something whose processes can be measured: a server under test. */
export interface Measured {
  name: string;
  usage(): Usage;
}

function read(file: string): string | undefined {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return undefined; // gone meanwhile, or not Linux
  }
}

/** utime + stime of one process (ms) and its name. */
function statOf(pid: number | string): { cpuMs: number; comm: string } | undefined {
  const stat = read(`/proc/${pid}/stat`);
  if (!stat) return undefined;
  const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return { cpuMs: ((Number(fields[11]) + Number(fields[12])) * 1000) / USER_HZ, comm };
}

function rssKiB(pid: number): number {
  const m = /^VmRSS:\s+(\d+) kB/m.exec(read(`/proc/${pid}/status`) ?? '');
  return m ? Number(m[1]) : 0;
}

/** The process and its descendants (from every thread's `children` list). */
export function processTree(pid: number): number[] {
  const all = [pid];
  for (let i = 0; i < all.length; i++) {
    let tasks: string[] = [];
    try {
      tasks = fs.readdirSync(`/proc/${all[i]}/task`);
    } catch {
      continue;
    }
    for (const tid of tasks) {
      for (const child of (read(`/proc/${all[i]}/task/${tid}/children`) ?? '').split(' ')) {
        if (/^\d+$/.test(child) && !all.includes(Number(child))) all.push(Number(child));
      }
    }
  }
  return all;
}

/** CPU and memory of a process and its children (what a server with N workers costs). */
export function treeUsage(pid: number): Usage {
  let cpuMs = 0;
  let rss = 0;
  let processes = 0;
  for (const p of processTree(pid)) {
    const s = statOf(p);
    if (!s) continue;
    cpuMs += s.cpuMs;
    rss += rssKiB(p);
    processes++;
  }
  return { cpuMs, rssMB: round(rss / 1024, 0), processes };
}

/** Busy CPU time of the whole machine so far (ms), from /proc/stat. */
export function machineBusyMs(): number | undefined {
  const line = read('/proc/stat')?.split('\n')[0];
  if (!line) return undefined;
  const f = line.trim().split(/\s+/).slice(1).map(Number);
  const total = f.slice(0, 8).reduce((a, b) => a + b, 0);
  const idle = f[3] + (f[4] ?? 0);
  return ((total - idle) * 1000) / USER_HZ;
}

/** CPU time so far (ms) of each PostgreSQL and Redis server process, by pid. */
function storesCpuMs(): Map<string, number> | undefined {
  let pids: string[];
  try {
    pids = fs.readdirSync('/proc').filter((p) => /^\d+$/.test(p));
  } catch {
    return undefined;
  }
  const byPid = new Map<string, number>();
  for (const pid of pids) {
    const s = statOf(pid);
    if (s && (s.comm === 'postgres' || s.comm.startsWith('redis-server'))) byPid.set(pid, s.cpuMs);
  }
  return byPid;
}

/** CPU the stores used between two readings (processes that ended meanwhile are not counted). */
function storesDelta(a?: Map<string, number>, b?: Map<string, number>): number | undefined {
  if (!a || !b) return undefined;
  let ms = 0;
  for (const [pid, v] of b) ms += v - (a.get(pid) ?? 0);
  return ms;
}

const ownCpuMs = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

/** Where the CPU went, per operation (ms), and how busy the machine was. */
export interface CpuSplit {
  serverMs: number;
  loadMs: number;
  storesMs?: number;
  foreignMs?: number;
  /** Share of the machine's CPUs busy during the run, and the foreign part of it. */
  machineBusy?: number;
  foreignShare?: number;
}

export interface CpuSnapshot {
  at: number;
  server: number;
  load: number;
  stores?: Map<string, number>;
  machine?: number;
}

export function cpuSnapshot(server: Measured): CpuSnapshot {
  return { at: performance.now(), server: server.usage().cpuMs, load: ownCpuMs(), stores: storesCpuMs(), machine: machineBusyMs() };
}

export function cpuSplit(a: CpuSnapshot, b: CpuSnapshot, operations: number, digits = 3): CpuSplit {
  const ops = Math.max(operations, 1);
  const server = b.server - a.server;
  const load = b.load - a.load;
  const split: CpuSplit = { serverMs: round(server / ops, digits), loadMs: round(load / ops, digits) };
  const stores = storesDelta(a.stores, b.stores);
  if (stores !== undefined) split.storesMs = round(stores / ops, digits);
  if (a.machine !== undefined && b.machine !== undefined) {
    const busy = b.machine - a.machine;
    const capacity = (b.at - a.at) * os.availableParallelism();
    const foreign = Math.max(0, busy - server - load - (stores ?? 0));
    split.foreignMs = round(foreign / ops, digits);
    split.machineBusy = round(busy / capacity, 2);
    split.foreignShare = round(foreign / capacity, 2);
  }
  return split;
}

/** Runs `work` and splits the CPU time it cost per operation. */
export async function withCpu<T>(server: Measured, work: () => Promise<{ result: T; operations: number }>): Promise<{ result: T; cpu: CpuSplit }> {
  const a = cpuSnapshot(server);
  const { result, operations } = await work();
  const b = cpuSnapshot(server);
  return { result, cpu: cpuSplit(a, b, operations) };
}

/** The CPU this process spends on `work` (ms), and the share of the machine others used meanwhile. */
export async function ownCpuOf<T>(work: () => Promise<T>): Promise<{ result: T; cpuMs: number; ms: number; foreignShare?: number }> {
  const m0 = machineBusyMs();
  const p0 = ownCpuMs();
  const t0 = performance.now();
  const result = await work();
  const ms = performance.now() - t0;
  const cpuMs = ownCpuMs() - p0;
  const m1 = machineBusyMs();
  const foreignShare = m0 === undefined || m1 === undefined ? undefined : round(Math.max(0, m1 - m0 - cpuMs) / (ms * os.availableParallelism()), 2);
  return { result, cpuMs, ms, foreignShare };
}

/** The machine's busy share over `ms` (others' jobs disturb the figures). */
export async function idleCheck(ms = 1000): Promise<number | undefined> {
  const a = machineBusyMs();
  await sleep(ms);
  const b = machineBusyMs();
  return a === undefined || b === undefined ? undefined : round((b - a) / (ms * os.availableParallelism()), 2);
}

/**
 * The highest resident memory of a server while something runs: sampled every 200 ms from
 * /proc, since the peak under load is what an operator sizes a machine for.
 */
export function rssPeak(server: Measured): { stop(): number } {
  let peak = server.usage().rssMB;
  const timer = setInterval(() => (peak = Math.max(peak, server.usage().rssMB)), 200);
  return {
    stop() {
      clearInterval(timer);
      return Math.max(peak, server.usage().rssMB);
    },
  };
}
