/**
 * A passkey (WebAuthn, seed 004): one ceremony proves possession of the key and, with user
 * verification (biometrics or the device's PIN), a second factor at once; its signature is bound
 * to Sesam's origin, so it is phishing-resistant. `amr`: `hwk` for a key bound to its device,
 * `swk` for a synced one, and `user`. Both ceremonies run as JSON on the step showing them: the
 * page asks for options (a challenge kept in the journey: single use, short-lived), the browser
 * signs, the page sends the answer back.
 */
import type { VerificationRecord } from '../../src/domain/assurance.js';
import type { User } from '../../src/model/types.js';
import { strictestLockout } from '../../src/model/tenant-policy.js';
import { requestMeta, type JsonResult, type StepContext } from '../step.js';
import type { MethodModule } from './method.js';

export const passkeyMethod: MethodModule = {
  id: 'passkey',
  amr: ['hwk', 'user'],
  factors: ['possession', 'inherence'],
  role: 'both',
  start: 'challenge',
};

/** How long a ceremony's challenge stays good. */
const CHALLENGE_TTL_MS = 5 * 60 * 1000;

/** The record of a verified assertion: `swk` for a synced passkey, `hwk` for one bound to its device. */
export function passkeyRecord(synced: boolean, at = Date.now()): VerificationRecord {
  return { method: 'passkey', at, amr: [synced ? 'swk' : 'hwk', 'user'], factors: [...passkeyMethod.factors], identifies: true, phishingResistant: true };
}

function issue(sc: StepContext, purpose: 'authenticate' | 'register', challenge: string): void {
  sc.journey.challenges.passkey = { challenge, purpose, expiresAt: Date.now() + CHALLENGE_TTL_MS };
}

/** Spends the journey's challenge for `purpose` (single use: gone whatever the answer). */
function spend(sc: StepContext, purpose: 'authenticate' | 'register'): string | undefined {
  const live = sc.journey.challenges.passkey;
  sc.journey.challenges.passkey = undefined;
  return live && live.purpose === purpose && Date.now() <= live.expiresAt ? live.challenge : undefined;
}

function refusal(sc: StepContext, status: number, error: string, key: string): JsonResult {
  return { ok: false, status, error, message: sc.pc.t(key) };
}

/**
 * A sign-in with a passkey, on the step that shows it. `userId`: only that account's passkeys
 * (identifier first, or a second factor); none: any discoverable passkey (the usernameless button
 * and browser autofill). A verified passkey identifies its account and proves two factors.
 */
export async function passkeySignIn(sc: StepContext, body: Record<string, unknown>, options: { userId?: string; user?: User } = {}): Promise<JsonResult> {
  const { passkeys } = sc.services;
  if (body.action === 'options') {
    const { options: optionsJSON, challenge } = await passkeys.authenticationOptions(options.userId);
    issue(sc, 'authenticate', challenge);
    return { ok: true, data: { options: optionsJSON } };
  }
  if (body.action !== 'verify') return refusal(sc, 400, 'invalid_request', 'passkey.failed');
  const challenge = spend(sc, 'authenticate');
  if (!challenge) return refusal(sc, 400, 'expired', 'passkey.expired');
  const meta = { ...requestMeta(sc), method: 'passkey' };
  const result = await passkeys.authenticate(body.response as never, challenge, meta, options.userId);
  if (!result.ok) {
    await sc.services.events.record({ type: 'login.passkey_failed', userId: options.userId, ...meta, details: { reason: result.reason } });
    return refusal(sc, 400, result.reason, result.reason === 'cloned' || result.reason === 'flagged' ? 'passkey.cloned' : 'passkey.failed');
  }
  const user = options.user?.id === result.userId ? options.user : await sc.services.users.findById(result.userId);
  if (!user || user.disabled) return refusal(sc, 400, 'unknown', 'passkey.failed');
  // A password lock anyone can trigger does not stop a phishing-resistant key, unless the tenant
  // chose that a lock is a lock for everything (seed 000).
  const locked = user.locked || (!!user.lockedUntil && user.lockedUntil.getTime() > Date.now());
  if (locked && strictestLockout((await sc.services.users.memberships(user.id)).map((m) => m.policy)).trustedDevices === 'strict') {
    await sc.services.events.record({ type: 'login.locked', userId: user.id, ...meta });
    return refusal(sc, 403, 'locked', 'passkey.locked');
  }
  if (sc.journey.userId !== user.id) {
    // The key named its account: the journey is that account's from now on.
    Object.assign(sc.journey, { userId: user.id, identifier: user.login, tenantId: undefined, verifications: [], fromSession: false, carried: undefined });
  }
  sc.journey.verifications = [...sc.journey.verifications.filter((r) => r.method !== 'passkey'), passkeyRecord(result.synced)];
  await sc.services.events.record({ type: locked ? 'login.locked_passkey' : 'login.passkey_ok', userId: user.id, ...meta, details: { passkeyId: result.passkeyId } });
  return { ok: true };
}

/**
 * Creates a passkey for the journey's account (the offer, or a set-up the tenant requires). The
 * flow only gets here once the account is proven to its tenant's level. Creating a key proves
 * nothing about who holds the account, so it adds no record: the flow asks to sign in with it
 * where a passkey sign-in is required.
 */
export async function passkeyCreation(sc: StepContext, body: Record<string, unknown>): Promise<JsonResult | 'created'> {
  const user = sc.user!;
  if (body.action === 'options') {
    const { options, challenge } = await sc.services.passkeys.registrationOptions(user);
    issue(sc, 'register', challenge);
    return { ok: true, data: { options } };
  }
  if (body.action !== 'verify') return refusal(sc, 400, 'invalid_request', 'passkey.failed');
  const challenge = spend(sc, 'register');
  if (!challenge) return refusal(sc, 400, 'expired', 'passkey.expired');
  const verified = await sc.services.passkeys.verifyRegistration(user, body.response as never, challenge);
  if (!verified.ok) {
    await sc.services.events.record({ type: 'passkey.creation_failed', userId: user.id, ...requestMeta(sc), details: { reason: verified.reason } });
    return refusal(sc, 400, verified.reason, verified.reason === 'duplicate' ? 'passkey.duplicate' : 'passkey.failed');
  }
  const added = await sc.services.credentials.addPasskey(user, verified, requestMeta(sc));
  if (!added.ok) return refusal(sc, 400, added.reason, 'passkey.duplicate');
  return 'created';
}
