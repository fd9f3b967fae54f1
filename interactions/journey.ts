/**
 * The state of one login journey, kept in the shared store under the interaction's uid (never
 * in process memory): any instance can serve any step, and a reload or the back button finds
 * the journey where it is.
 */
import crypto from 'node:crypto';
import type { KeyValueStore } from '../src/storage/kv.js';
import type { MethodId, VerificationRecord } from '../src/domain/assurance.js';
import type { Locale } from './i18n/index.js';
import type { Factor, Intent, RequiredAction } from './flow.js';
import type { UpstreamPending } from '../src/upstream/upstream-client.js';

/** A live SMS code of this journey (its keyed hash, never the code). */
export interface SmsChallenge {
  phone: string;
  hash: string;
  expiresAt: number;
  sentAt: number;
}

/** Scratch state of the methods under way, keyed by method (what a record does not keep). */
export interface Challenges {
  /** The SMS code sent to prove a phone (second factor or set-up). */
  sms?: SmsChallenge;
  /** An authenticator-app secret being set up, sealed with the master key. */
  totpSecretSealed?: string;
  /** The challenge of a passkey ceremony under way: single use, short-lived. */
  passkey?: { challenge: string; purpose: 'authenticate' | 'register'; expiresAt: number };
  /** A sign-in with an upstream provider under way: what its answer must match (single use). */
  upstream?: UpstreamPending;
}

export interface Journey {
  intent: Intent;
  /** Bound to this journey: every form carries it back (CSRF). */
  csrf: string;
  /** What the user typed on the identifier page (not proof of anything). */
  identifier?: string;
  /** The account identified in this journey, or adopted from the session. */
  userId?: string;
  /** True when the account comes from the browser session, not from a proof in this journey. */
  fromSession?: boolean;
  /** What the adopted session had proven (its amr), counted in a step-up. */
  carried?: VerificationRecord[];
  /** Proofs made in this journey, in order. */
  verifications: VerificationRecord[];
  /** The user asked to sign in as someone else: ignore the session. */
  switchAccount?: boolean;
  /** The typed identifier's account has a passkey this browser could use (looked up once, at the identifier). */
  identifierHasPasskey?: boolean;
  /** The user chose the password over the passkey their identifier has. */
  passwordInstead?: boolean;
  /** What the browser said it can do (set by the page's script): any passkey, or one on this device too. */
  webauthn?: 'available' | 'platform';
  tenantId?: string | null;
  /** The password typed no longer meets the rules: it must be replaced. */
  passwordOutdated?: boolean;
  /** Required actions done in this journey. */
  done?: RequiredAction[];
  consented?: boolean;
  remember?: boolean;
  locale?: Locale;
  /** The second factor the user chose to prove, or the method being set up. */
  chosenFactor?: Factor;
  setUpMethod?: 'sms' | 'totp' | 'passkey';
  challenges: Challenges;
  /** Wrong codes per method in this journey; a new code never resets them. */
  failures: Partial<Record<MethodId, number>>;
  /** Recovery codes drawn at a set-up, sealed until shown once. */
  recoveryCodesSealed?: string;
  /** A `recover` journey: the keyed hash of its recovery handle, taken when the new password is set. */
  recovery?: string;
  /**
   * An upstream identity whose e-mail is this account's: linked when the user has proven the
   * account in this journey (password and second factor per policy), as the sign-in ends.
   */
  pendingLink?: { providerId: string; subject: string; email: string | null; userId: string };
  /** Said on the first page: the recovery link this sign-in came with no longer works. */
  notice?: 'recovery-invalid';
}

const key = (uid: string) => `journey:${uid}`;

export function newJourney(intent: Intent, keep: Partial<Pick<Journey, 'locale' | 'remember' | 'switchAccount'>> = {}): Journey {
  return { intent, csrf: crypto.randomBytes(24).toString('base64url'), verifications: [], challenges: {}, failures: {}, ...keep };
}

export class JourneyStore {
  constructor(private readonly kv: KeyValueStore, private readonly ttlSeconds: number) {}

  /** The journey of this interaction; undefined before its first page. */
  async load(uid: string): Promise<Journey | undefined> {
    return this.kv.get<Journey>(key(uid));
  }

  save(uid: string, journey: Journey): Promise<void> {
    return this.kv.set(key(uid), journey, this.ttlSeconds);
  }

  delete(uid: string): Promise<void> {
    return this.kv.delete(key(uid));
  }
}
