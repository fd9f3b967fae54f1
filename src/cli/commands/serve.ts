/**
 * `sesam serve [--workers N]`: starts the server in the foreground, as `npm start` does: the
 * built entry point (dist/src/main.js) in a child process on this Node, settings from the
 * environment, `--workers` as SESAM_WORKERS. The CLI imports no server code: it spawns it,
 * passes SIGINT/SIGTERM on, and ends with the server's exit code.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { leaf } from '../command.js';
import { SERVER_NODE_FLAGS } from '../../../config/node-flags.js';

export function registerServe(program: Command): void {
  leaf(program, 'serve', 'start the server in the foreground (settings from the environment, as npm start)')
    .option('--workers <n>', 'worker processes sharing the port: a number or auto (SESAM_WORKERS; several need DATABASE_URL)')
    .action(async (opts: { workers?: string }) => {
      const entry = fileURLToPath(new URL('../../main.js', import.meta.url));
      const env = { ...process.env, ...(opts.workers ? { SESAM_WORKERS: opts.workers } : {}) };
      const server = spawn(process.execPath, [...SERVER_NODE_FLAGS, entry], { stdio: 'inherit', env });
      const forward = (signal: NodeJS.Signals) => () => void server.kill(signal);
      process.on('SIGINT', forward('SIGINT'));
      process.on('SIGTERM', forward('SIGTERM'));
      const code = await new Promise<number>((resolve) => server.on('exit', (c, signal) => resolve(c ?? (signal ? 1 : 0))));
      // The server's code is the command's (2 a bad setting, 3 a refused start, 0 a graceful stop).
      process.exit(code);
    });
}
