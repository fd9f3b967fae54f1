/** Runs the operator CLI (`bin/sesam.js`) as an operator would, on the project's own Node. */
import { spawn } from 'node:child_process';
import type { TestServer } from './server.js';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const NODE = path.join(ROOT, 'node_modules/.bin/node');

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the CLI; `input`, when given, is written to its standard input (`--password -`, `--client-secret -`). */
export function runSesam(args: string[], env: Record<string, string>, input?: string): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(NODE, [path.join(ROOT, 'bin/sesam.js'), ...args], { cwd: ROOT, env, stdio: [input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'] });
    if (input !== undefined) child.stdin!.end(input);
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (d) => (stdout += d));
    child.stderr!.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/**
 * The environment an operator runs the CLI in against `server`: its URL and the bootstrap admin
 * client's credentials, and a config folder that does not exist (no `sesam login` of the machine
 * running the tests is ever read).
 */
export function operatorEnv(server: Pick<TestServer, 'url' | 'sesam'>): Record<string, string> {
  return {
    PATH: process.env.PATH ?? '',
    SESAM_URL: server.url,
    SESAM_ADMIN_CLIENT_ID: server.sesam.adminCredentials.clientId,
    SESAM_ADMIN_CLIENT_SECRET: server.sesam.adminCredentials.clientSecret,
    SESAM_CONFIG_DIR: '/nonexistent/sesam-config',
  };
}
