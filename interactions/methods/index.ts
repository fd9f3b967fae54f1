/**
 * Every way in, by what the journey needs of it: second factors typed as a code, the passkey (a
 * ceremony, methods/passkey.ts) and those that can be set up inside a sign-in. Upstream
 * providers (Google, itsme, any OpenID provider) are configured data, not modules: their leg is
 * interactions/upstream.ts, their record `upstream:<id>`.
 */
import type { Factor } from '../flow.js';
import type { CodeMethod, SetUpMethod } from './method.js';
import { passwordMethod } from './password.js';
import { smsMethod, smsSetUp } from './sms.js';
import { totpMethod, totpSetUp } from './totp.js';
import { recoveryMethod } from './recovery.js';
import { passkeyMethod } from './passkey.js';

/** Factors proven by typing a code (a passkey runs a ceremony instead: methods/passkey.ts). */
export type CodeFactor = Exclude<Factor, 'passkey'>;

export const codeMethods: Record<CodeFactor, CodeMethod> = { sms: smsMethod, totp: totpMethod, recovery: recoveryMethod };

export const setUpMethods: Record<SetUpMethod['id'], SetUpMethod> = { sms: smsSetUp, totp: totpSetUp };

export { passwordMethod, passkeyMethod };
