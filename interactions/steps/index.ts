/** The step registry: the flow names a step, the router finds its module here. */
import type { StepName } from '../flow.js';
import type { StepModule } from '../step.js';
import { identifierStep } from './identifier.js';
import { passwordStep } from './password.js';
import { tenantStep } from './tenant.js';
import { noAccessStep } from './no-access.js';
import { changePasswordStep } from './change-password.js';
import { consentStep } from './consent.js';
import { secondFactorStep } from './second-factor.js';
import { enrollSecondFactorStep } from './enroll-second-factor.js';
import { recoveryCodesStep } from './recovery-codes.js';

export const steps: Partial<Record<StepName, StepModule>> = Object.fromEntries(
  [identifierStep, passwordStep, tenantStep, noAccessStep, secondFactorStep, enrollSecondFactorStep, recoveryCodesStep, changePasswordStep, consentStep].map(
    (s) => [s.name, s],
  ),
);
