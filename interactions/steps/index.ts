/** The step registry: the flow names a step, the router finds its module here (a missing one does not compile). */
import type { StepRegistry } from '../step.js';
import { identifierStep } from './identifier.js';
import { passwordStep } from './password.js';
import { tenantStep } from './tenant.js';
import { noAccessStep } from './no-access.js';
import { consentStep } from './consent.js';
import { secondFactorStep } from './second-factor.js';
import { mfaUnavailableStep } from './mfa-unavailable.js';
import { enrollSecondFactorStep } from '../actions/enroll-second-factor.js';
import { recoveryCodesStep } from '../actions/recovery-codes.js';
import { changePasswordStep } from '../actions/change-password.js';
import { passkeyStep } from './passkey.js';
import { passkeyOfferStep } from '../actions/passkey-offer.js';

export const steps: StepRegistry = {
  identifier: identifierStep,
  password: passwordStep,
  passkey: passkeyStep,
  tenant: tenantStep,
  'no-access': noAccessStep,
  'second-factor': secondFactorStep,
  'mfa-unavailable': mfaUnavailableStep,
  'enroll-second-factor': enrollSecondFactorStep,
  'recovery-codes': recoveryCodesStep,
  'change-password': changePasswordStep,
  'passkey-offer': passkeyOfferStep,
  consent: consentStep,
};
