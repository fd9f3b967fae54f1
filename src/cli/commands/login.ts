/**
 * `sesam login` / `sesam logout`: a tenant admin's own sign-in, kept for the commands that follow
 * (`sesam members …`, `sesam tenants get|set-policy|events|audit` of their tenant) until it ends.
 */
import type { Command } from 'commander';
import { leaf, wantsJson } from '../command.js';
import { loopbackSignIn, revokeToken } from '../loopback-sign-in.js';
import { forgetSignIn, readSignIn, writeSignIn } from '../saved-sign-in.js';
import { serverUrl } from '../server-url.js';
import { done, out } from '../output.js';

export function registerLogin(program: Command, env: NodeJS.ProcessEnv): void {
  leaf(program, 'login', 'sign in as a tenant admin in a browser; the next commands act in the tenant chosen there')
    .option('--timeout <seconds>', 'how long to wait for the browser', '300')
    .action(async (opts: { timeout: string }, cmd: Command) => {
      const server = serverUrl(env);
      const seconds = Number(opts.timeout);
      const signedIn = await loopbackSignIn({
        server,
        timeoutMs: Number.isFinite(seconds) && seconds > 0 ? seconds * 1000 : undefined,
        show: (url) => process.stderr.write(`Open this address in a browser on this computer to sign in:\n\n  ${url}\n\n`),
      });
      const file = writeSignIn(env, signedIn);
      const where = signedIn.tenantId ? `tenant ${signedIn.tenantId}${signedIn.tenantName ? ` (${signedIn.tenantName})` : ''}` : 'no tenant';
      const until = new Date(signedIn.expiresAt).toISOString().replace(/\.\d+Z$/, 'Z');
      done(
        wantsJson(cmd),
        { login: signedIn.login, tenant: signedIn.tenantId, expiresAt: until, file },
        `signed in as ${signedIn.login ?? 'unknown'} in ${where}, until ${until}`,
      );
      if (!wantsJson(cmd) && !signedIn.tenantId) out('this account chose no tenant: the tenant commands will be refused');
    });

  leaf(program, 'logout', 'end the sign-in of sesam login: its token is revoked and forgotten').action(async (_opts: object, cmd: Command) => {
    const server = serverUrl(env);
    const saved = readSignIn(env, server);
    let revoked = false;
    if (saved && saved.expiresAt > Date.now()) {
      revoked = await revokeToken(server, saved.accessToken).then(
        () => true,
        (e: unknown) => (process.stderr.write(`sesam: could not revoke the token (${(e as Error).message}); it ends by itself at ${new Date(saved.expiresAt).toISOString()}\n`), false),
      );
    }
    const had = forgetSignIn(env);
    done(wantsJson(cmd), { signedOut: had, revoked }, had ? 'signed out' : 'was not signed in');
  });
}
