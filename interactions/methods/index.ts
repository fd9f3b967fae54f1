/**
 * Every way in, by what the journey needs of it: second factors typed as a code, the passkey (a
 * ceremony, methods/passkey.ts), those that can be set up inside a sign-in, and upstream providers
 * answered at /interaction/callback/:provider (none yet: Google, itsme and other OpenID
 * providers plug in here).
 */
import type { Factor } from '../flow.js';
import type { MethodModule, CodeMethod, SetUpMethod } from './method.js';
import type { StepContext, SubmitResult } from '../step.js';
import { passwordMethod } from './password.js';
import { smsMethod, smsSetUp } from './sms.js';
import { totpMethod, totpSetUp } from './totp.js';
import { recoveryMethod } from './recovery.js';
import { passkeyMethod } from './passkey.js';

/** Factors proven by typing a code (a passkey runs a ceremony instead: methods/passkey.ts). */
export type CodeFactor = Exclude<Factor, 'passkey'>;

export const codeMethods: Record<CodeFactor, CodeMethod> = { sms: smsMethod, totp: totpMethod, recovery: recoveryMethod };

export const setUpMethods: Record<SetUpMethod['id'], SetUpMethod> = { sms: smsSetUp, totp: totpSetUp };

/** A provider the user is redirected to; it comes back to the callback route with its answer. */
export interface UpstreamMethod extends MethodModule {
  start: 'redirect';
  callback(sc: StepContext, query: Record<string, string>): Promise<SubmitResult>;
}

export const upstreams: Record<string, UpstreamMethod> = {};

export { passwordMethod, passkeyMethod };
