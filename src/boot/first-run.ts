/**
 * The page at `/`. On a fresh server, with no user yet, it says what to do next: create the first
 * user with the operator CLI (the exact command line for this server), or start with an import
 * file, then sign in at /account (the account portal, an app of Sesam open to every user).
 * Once a user exists, a short welcome with the same links. Four languages, no script.
 */
import path from 'node:path';
import Router from '@koa/router';
import type { Settings } from '../../config/settings.js';
import type { Stores } from './stores.js';
import { UsersRepository } from '../repositories/users-repository.js';
import { pageContextFor } from '../../interactions/views/provider-pages.js';
import { page, type PageContext } from '../../interactions/views/layout.js';
import { html, type Safe } from '../../interactions/views/html.js';

type FirstRunSettings = Pick<Settings, 'defaultLocale' | 'issuer' | 'dataDir'>;

/** What the CLI assumes when nothing is set (src/cli/sesam.ts): the server at localhost:3000, its data in ./.sesam. */
const CLI_DEFAULT_URL = 'http://localhost:3000';
const CLI_DEFAULT_DATA_DIR = '.sesam';

/**
 * The line that creates the first user on this server: `npx sesam users create` (src/cli/sesam.ts),
 * with SESAM_URL and SESAM_DATA_DIR in front only when this server does not run where the CLI
 * looks by default. The password is an initial one: the user replaces it at the first sign-in.
 */
export function firstUserCommand(settings: Pick<Settings, 'issuer' | 'dataDir'>, cwd = process.cwd()): string {
  const env: string[] = [];
  if (settings.issuer !== CLI_DEFAULT_URL) env.push(`SESAM_URL=${settings.issuer}`);
  if (path.resolve(cwd, CLI_DEFAULT_DATA_DIR) !== settings.dataDir) env.push(`SESAM_DATA_DIR=${shellQuote(settings.dataDir)}`);
  return [...env, "npx sesam users create alice --email alice@example.com --password 'an initial password'"].join(' ');
}

function shellQuote(value: string): string {
  return /^[\w@%+=:,./-]+$/.test(value) ? value : `'${value.replace(/'/g, `'\\''`)}'`;
}

export function firstRunRouter(settings: FirstRunSettings, { db }: Pick<Stores, 'db'>): Router {
  const users = new UsersRepository(db);
  // Once a user exists the welcome stays: the check is not repeated on every visit.
  let someone = false;
  const anyUser = async () => (someone ||= (await users.list({ limit: 1 })).length > 0);
  const command = firstUserCommand(settings);

  const router = new Router();
  router.get('/', async (ctx) => {
    const pc = pageContextFor(ctx, settings.defaultLocale);
    const fresh = !(await anyUser());
    ctx.type = 'html';
    ctx.body = fresh ? firstRunPage(pc, command) : welcomePage(pc);
  });
  return router;
}

const discovery = (pc: PageContext): Safe => html`<p class="notice">${pc.t('firstRun.developers')} <a href="/.well-known/openid-configuration">${pc.t('firstRun.discovery')}</a></p>`;

function firstRunPage(pc: PageContext, command: string): string {
  const { t } = pc;
  return page(
    pc,
    t('firstRun.title'),
    html`<h1>${t('firstRun.title')}</h1>
<p>${t('firstRun.noUser')}</p>
<h2>${t('firstRun.createTitle')}</h2>
<p>${t('firstRun.createIntro')}</p>
<pre><code id="first-user-command">${command}</code></pre>
<p class="notice">${t('firstRun.createNote')}</p>
<p>${t('firstRun.importIntro')} <code>SESAM_IMPORT=config/example-import.json npm start</code></p>
<h2>${t('firstRun.signInTitle')}</h2>
<p>${t('firstRun.signIn')}</p>
<p><a class="button" href="/account">${t('firstRun.account')}</a></p>
${discovery(pc)}`,
  );
}

function welcomePage(pc: PageContext): string {
  const { t } = pc;
  return page(
    pc,
    t('firstRun.welcomeTitle'),
    html`<h1>${t('firstRun.welcomeTitle')}</h1>
<p>${t('firstRun.welcome')}</p>
<p><a class="button" href="/account">${t('firstRun.account')}</a></p>
${discovery(pc)}`,
  );
}
