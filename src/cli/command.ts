/** What every command file gets: a way to declare a command, and the admin API client on first use. */
import type { Command } from 'commander';
import type { AdminApi } from './api-client.js';

export interface Context {
  /** The admin API client (openapi-fetch), made on first use (migrate and help never need it). */
  api(): AdminApi;
  /** The tenant chosen at `sesam login` on this server, if signed in. */
  signedInTenant(): string | undefined;
  /** The environment the CLI runs in (sesam login keeps its sign-in where it says). */
  env: NodeJS.ProcessEnv;
}

/** A command that does something (not a group): it takes --json, as every command does. */
export function leaf(parent: Command, nameAndArgs: string, summary: string): Command {
  return parent.command(nameAndArgs).description(summary).option('--json', 'print the admin API answer as JSON');
}

/** --json given before or after the command name. */
export const wantsJson = (cmd: Command): boolean => cmd.optsWithGlobals<{ json?: boolean }>().json === true;
