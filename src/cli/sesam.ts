/**
 * `sesam`: the operator CLI, a client of the admin API (except `migrate`, which runs the
 * migrations on the configured database, and `serve`, which starts the server in a child
 * process). It gets an access token by client_credentials with the admin client's credentials,
 * calls /admin/v1, and prints short lines and tables, or the
 * API's JSON with --json. Errors: one line on stderr, exit code 1 (2 for usage errors).
 * The command groups are in ./commands/, one file each.
 */
import { Command, CommanderError, type Argument, type Option } from 'commander';
import { adminApi, type AdminApi } from './api-client.js';
import { collect } from './arguments.js';
import type { Context } from './command.js';
import { registerClients } from './commands/clients.js';
import { registerEvents } from './commands/events.js';
import { registerKeys } from './commands/keys.js';
import { registerMigrate } from './commands/migrate.js';
import { registerLogin } from './commands/login.js';
import { registerMembers } from './commands/members.js';
import { registerProviders } from './commands/providers.js';
import { registerServe } from './commands/serve.js';
import { registerTenants } from './commands/tenants.js';
import { registerUsers } from './commands/users.js';
import { UsageError } from './errors.js';
import { readSignIn } from './saved-sign-in.js';
import { serverUrl } from './server-url.js';

const ENVIRONMENT = [
  'Environment:',
  '  SESAM_URL (default ISSUER, else http://localhost:$PORT, else http://localhost:3000),',
  '  The operator: SESAM_ADMIN_CLIENT_ID and SESAM_ADMIN_CLIENT_SECRET; else a tenant admin signed in by',
  '  sesam login (kept in ${SESAM_CONFIG_DIR:-~/.config/sesam}/sign-in.json); else ${SESAM_DATA_DIR:-./.sesam}/admin-client.json.',
  '',
  'Exit codes: 0 done, 1 failed, 2 wrong command line.',
].join('\n');

/** One command's synopsis as in the overview: `users create <login> [--email <email>] …`. */
function synopsis(cmd: Command): string {
  const names: string[] = [];
  for (let c: Command | null = cmd; c?.parent; c = c.parent) names.unshift(c.name());
  const args = cmd.registeredArguments.map((a: Argument) => (a.required ? `<${a.name()}${a.variadic ? '...' : ''}>` : `[${a.name()}${a.variadic ? '...' : ''}]`));
  const options = cmd.options
    .filter((o: Option) => o.long !== '--json')
    .map((o: Option) => `${o.mandatory ? '' : '['}${o.flags}${o.mandatory ? '' : ']'}${o.parseArg === collect ? '...' : ''}`);
  return [...names, ...args, ...options].join(' ');
}

function allCommands(cmd: Command): Command[] {
  return cmd.commands.flatMap((c) => [c, ...allCommands(c)]);
}

/** Every command that does something (not the groups), in the order they were declared. */
function leaves(cmd: Command): Command[] {
  return cmd.commands.flatMap((c) => (c.commands.length ? leaves(c) : [c]));
}

function overview(program: Command): string {
  return ['All commands:', ...leaves(program).map((c) => `  ${synopsis(c)}\n      ${c.description()}`)].join('\n');
}

function buildProgram(ctx: Context): Command {
  const program = new Command('sesam')
    .description(
      'Operate a Sesam server through its admin API: tenants, users, clients, upstream providers, keys, events (the operator), or the members of one tenant (a tenant admin, after sesam login); and run its migrations or the server itself.',
    )
    .option('--json', 'print the admin API answer as JSON')
    .helpCommand(false)
    // Commander's errors (and the help it would dump on a group without its command) become
    // one line in main(); --help still goes to stdout.
    .configureOutput({ outputError: () => undefined, writeErr: () => undefined });
  registerLogin(program, ctx.env);
  registerTenants(program, ctx);
  registerMembers(program, ctx);
  registerUsers(program, ctx);
  registerClients(program, ctx);
  registerProviders(program, ctx);
  registerKeys(program, ctx);
  registerEvents(program, ctx);
  registerMigrate(program);
  registerServe(program);
  program
    .command('help [command...]')
    .description('this help, or the help of one command (e.g. sesam help users create)')
    .action((words: string[]) => {
      let target = program;
      for (const word of words) {
        const next = target.commands.find((c) => c.name() === word);
        if (!next) throw new UsageError(`unknown command "${words.join(' ')}" (see sesam help)`);
        target = next;
      }
      target.outputHelp();
    });
  // Every command reports its own parse errors, so the message can point to its --help.
  for (const cmd of [program, ...allCommands(program)]) {
    cmd.exitOverride((err) => {
      throw new ParseError(cmd, err);
    });
  }
  program.addHelpText('after', () => `\n${overview(program)}\n\n--json prints the admin API answer as JSON.\n${ENVIRONMENT}`);
  return program;
}

/** Commander's own error (unknown command or option, missing or extra argument), and where it happened. */
class ParseError extends Error {
  constructor(
    readonly command: Command,
    readonly error: CommanderError,
  ) {
    super(error.message);
  }
}

/** The full name of a command, e.g. `sesam users create`. */
function fullName(cmd: Command): string {
  const names: string[] = [];
  for (let c: Command | null = cmd; c; c = c.parent) names.unshift(c.name());
  return names.join(' ');
}

/** Commander's errors as one line, saying where to find the right usage. */
function usageMessage({ command, error }: ParseError): string {
  // A group (or the program) given without its command: commander would print the whole help.
  if (error.code === 'commander.help') {
    if (!command.parent) return 'no command given (see sesam help)';
    return `${command.name()}: which one? ${command.commands.map((c) => c.name()).join(', ')}`;
  }
  return `${error.message.replace(/^error: /, '').replace(/\s*\n\s*/g, ' ')} (see ${fullName(command)} --help)`;
}

export async function main(argv: string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  let api: AdminApi | undefined;
  const program = buildProgram({
    api: () => (api ??= adminApi(env)),
    signedInTenant: () => readSignIn(env, serverUrl(env))?.tenantId ?? undefined,
    env,
  });
  try {
    await program.parseAsync(argv, { from: 'user' });
    return 0;
  } catch (e) {
    if (e instanceof ParseError) {
      if (e.error.exitCode === 0) return 0; // --help, shown on stdout
      process.stderr.write(`sesam: ${usageMessage(e)}\n`);
      return 2;
    }
    const message = (e as Error).message?.split('\n')[0] || String(e);
    process.stderr.write(`sesam: ${message}\n`);
    return e instanceof UsageError ? 2 : 1;
  }
}

process.exitCode = await main(process.argv.slice(2));
