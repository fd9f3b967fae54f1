/**
 * `sesam login` / `sesam logout`: a tenant admin's own sign-in, kept for the commands that follow
 * (`sesam members …`, `sesam tenants get|set-policy|events|audit` of their tenant) until it ends.
 */
import type { Command } from 'commander';
import { leaf, wantsJson } from '../command.js';
import { checkToken, loopbackSignIn, revokeToken } from '../loopback-sign-in.js';
import { forgetSignIn, readSignIn, writeSignIn } from '../saved-sign-in.js';
import { serverUrl } from '../server-url.js';
import { done, out } from '../output.js';

export function registerLogin(program: Command, env: NodeJS.ProcessEnv): void {
  leaf(program, 'login', 'sign in as a tenant admin in a browser; the next commands act in the tenant chosen there')
    .option('--timeout <seconds>', 'how long to wait for the browser', '300')
    .action(async (opts: { timeout: string }, cmd: Command) => {
      const server = serverUrl(env);
      const seconds = Number(opts.timeout);
      const signIn = (acrValues?: string) =>
        loopbackSignIn({
          server,
          acrValues,
          timeoutMs: Number.isFinite(seconds) && seconds > 0 ? seconds * 1000 : undefined,
          show: (url) => process.stderr.write(`Open this address in a browser on this computer to sign in:\n\n  ${url}\n\n`),
        });
      let signedIn = await signIn();
      // RFC 9470: an admin with a second factor administers from a sign-in that proved it; the API says so, and which assurance.
      let check = signedIn.tenantId ? await checkToken(server, signedIn.accessToken, signedIn.tenantId) : undefined;
      if (check && !check.ok && check.error === 'insufficient_user_authentication') {
        process.stderr.write('Your account has a second factor and this sign-in did not ask for it: sign in again, with it.\n');
        signedIn = await signIn(check.acrValues);
        check = signedIn.tenantId ? await checkToken(server, signedIn.accessToken, signedIn.tenantId) : undefined;
      }
      const file = writeSignIn(env, signedIn);
      const where = signedIn.tenantId ? `tenant ${signedIn.tenantId}${signedIn.tenantName ? ` (${signedIn.tenantName})` : ''}` : 'no tenant';
      const until = new Date(signedIn.expiresAt).toISOString().replace(/\.\d+Z$/, 'Z');
      done(
        wantsJson(cmd),
        { login: signedIn.login, tenant: signedIn.tenantId, expiresAt: until, file },
        `signed in as ${signedIn.login ?? 'unknown'} in ${where}, until ${until}`,
      );
      if (wantsJson(cmd)) return;
      if (!signedIn.tenantId) out('this account chose no tenant: the tenant commands will be refused');
      else if (check && !check.ok) out(`the tenant commands will be refused: ${check.description}`);
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
