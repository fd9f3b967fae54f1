/**
 * A journey that starts with a recovery handle (`details.params.recovery`, forwarded by the
 * account portal's sign-in after an e-mailed link was used) has intent `recover` and that account:
 * the flow then asks the second factor the user has, a new password, and a sign-in with it. The
 * link proves no factor (its record has none); the journey keeps only the handle's keyed hash,
 * which the password change consumes. A handle that is no longer live starts an ordinary sign-in
 * that says so. Only Sesam's own (first-party) apps may carry a handle.
 */
import type { ClientRecord } from '../src/model/types.js';
import type { VerificationRecord } from '../src/domain/assurance.js';
import type { Journey } from './journey.js';
import type { Services } from './services.js';
import type { InteractionDetails } from './step.js';

/** What the e-mailed link proved: who the account is, nothing of its factors. */
export function emailLinkRecord(at = Date.now()): VerificationRecord {
  return { method: 'email-link', at, amr: [], factors: [], identifies: true };
}

/** Turns a new journey into a recovery when the request carries a live handle. */
export async function startRecovery(services: Services, details: InteractionDetails, client: ClientRecord, journey: Journey): Promise<void> {
  const handle = details.params.recovery;
  if (typeof handle !== 'string' || !handle) return;
  const live = client.firstParty ? await services.passwordRecovery.findHandle(handle) : undefined;
  const user = live ? await services.users.findById(live.userId) : undefined;
  if (!live || !user || user.disabled) {
    Object.assign(journey, { notice: 'recovery-invalid', switchAccount: true });
    return;
  }
  Object.assign(journey, { intent: 'recover', userId: user.id, identifier: user.login, switchAccount: true, recovery: live.ref, verifications: [emailLinkRecord()] });
}
