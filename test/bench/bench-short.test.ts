/**
 * `npm run bench -- --short` runs, end to end, and reports every figure: the built bench
 * (dist/bench/run.js) in its short mode, its outputs in a temporary folder. The figures of a
 * short run on a shared machine are a smoke test, never a timed assertion: this fails only when
 * the bench cannot run or a figure is missing or not a finite positive number.
 */
import { afterAll, describe, expect, it } from '@jest/globals';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const NODE = path.resolve('node_modules/.bin/node');
const RUN = path.resolve('dist/bench/run.js');
const out = fs.mkdtempSync(path.join(os.tmpdir(), 'sesam-bench-test-'));

/** Figures the report and the chart are built on (the rest of `headline` is checked alike). */
const EXPECTED = [
  'client_credentials.sesamRedis.ratio',
  'client_credentials.embedded.ratio',
  'discovery.bare.perSecond',
  'refresh_token.bare.perSecond',
  'refresh_token.sesamRedis.ratio',
  'refresh_token.embedded.ratio',
  'introspection.sesamRedis.ratio',
  'userinfo.embedded.ratio',
  'signIn.perSecond',
  'signIn.argon2BoundPerSecond',
  'signIn.serverCpuToArgon2',
  'signIn.steps.authorize.p99Ms',
  'signIn.steps.token.p50Ms',
  'passkeySignIn.perSecond',
  'storeCounts.signIn.redisCommands',
  'storeCounts.signIn.sqlStatements',
  'storeCounts.embeddedSignIn.sqlStatements',
  'memory.sesamRedis.afterStartMB',
  'memory.embedded.underLoadMB',
  'startup.embeddedFresh.readyMs',
  'startup.embeddedExisting.readyMs',
  'startup.pgRedisFresh.readyMs',
  'startup.pgRedisExisting.readyMs',
  'workers.1.signInsPerSecond',
  'workers.2.clientCredentialsPerSecond',
  'workers.4.signInsPerSecond',
  'workers.4.loadRssMB',
];

describe('the benchmark, short mode', () => {
  afterAll(() => fs.rmSync(out, { recursive: true, force: true }));

  it('runs every part and writes every figure as a finite positive number, with the machine, and the chart', async () => {
    const { code, stdout, stderr } = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
      const child = spawn(NODE, [RUN, '--short'], { env: { ...process.env, BENCH_OUT: out }, stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d) => (stdout += d));
      child.stderr.on('data', (d) => (stderr += d));
      child.on('exit', (code) => resolve({ code, stdout, stderr }));
    });
    expect({ code, stderr: code === 0 ? '' : stderr.slice(-3000) }).toEqual({ code: 0, stderr: '' });
    expect(stdout).toContain('SERVER CPU PER SIGN-IN');

    const results = JSON.parse(fs.readFileSync(path.join(out, 'results.json'), 'utf8')) as { headline: Record<string, unknown>; machine: Record<string, unknown>; date: string };
    expect(Object.keys(results.headline)).toEqual(expect.arrayContaining(EXPECTED));
    const bad = Object.entries(results.headline).filter(([, v]) => !(typeof v === 'number' && Number.isFinite(v) && v > 0));
    expect(bad).toEqual([]);
    expect(results.machine).toMatchObject({ cpuModel: expect.any(String), cores: expect.any(Number), ramGB: expect.any(Number), node: expect.stringMatching(/^v\d+\./) });
    expect(Date.parse(results.date)).not.toBeNaN();

    const svg = fs.readFileSync(path.join(out, 'results.svg'), 'utf8');
    expect(svg).toMatch(/^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
    expect(svg).toContain('<rect');
    expect(svg.trimEnd()).toMatch(/<\/svg>$/);
  }, 300_000);
});
