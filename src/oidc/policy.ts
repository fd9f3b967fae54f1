/**
 * The engine's interaction policy: its own login and consent prompts, plus
 * - `select_account` (requestable): the user may switch tenant or account;
 * - a login check: `acr_values` asking for more than the session proved (two factors, or a
 *   phishing-resistant sign-in): the journey then steps the session up;
 * - a consent check: an `organization` parameter naming another tenant than the session's grant.
 */
import { interactionPolicy, type KoaContextWithOIDC } from 'oidc-provider';
import { levelOf, meets, requestedLevel } from '../domain/assurance.js';

const { Prompt, Check, base } = interactionPolicy;

export function interactionPolicyFor(options: { grantTenant: (grantId: string) => Promise<string | null | undefined> }) {
  const policy = base();

  policy.get('login')!.checks.add(
    new Check('acr_2fa', 'a stronger sign-in is asked for', (ctx: KoaContextWithOIDC) => {
      const { oidc } = ctx;
      if (!oidc.session?.accountId || oidc.result?.login) return Check.NO_NEED_TO_PROMPT;
      const wanted = requestedLevel(oidc.params?.acr_values as string | undefined);
      return meets(levelOf(oidc.session.acr), wanted) ? Check.NO_NEED_TO_PROMPT : Check.REQUEST_PROMPT;
    }),
  );

  policy.get('consent')!.checks.add(
    new Check('organization_changed', 'another organization is asked for', async (ctx: KoaContextWithOIDC) => {
      const { oidc } = ctx;
      const wanted = oidc.params?.organization as string | undefined;
      if (!wanted || !oidc.session || !oidc.client || oidc.result?.consent) return Check.NO_NEED_TO_PROMPT;
      const grantId = oidc.session.grantIdFor(oidc.client.clientId);
      if (!grantId) return Check.NO_NEED_TO_PROMPT;
      return (await options.grantTenant(grantId)) === wanted ? Check.NO_NEED_TO_PROMPT : Check.REQUEST_PROMPT;
    }),
  );

  policy.add(new Prompt({ name: 'select_account', requestable: true }), 1);
  return policy;
}
