/**
 * The state of one login journey, kept in the shared store under the interaction's uid (never
 * in process memory): any instance can serve any step, and a reload or the back button finds
 * the journey where it is.
 */
import type { KeyValueStore } from '../src/storage/kv.js';
import type { Locale } from './i18n/index.js';

export interface Journey {
  /** What the user typed on the identifier page (not proof of anything). */
  identifier?: string;
  /** The account proven in this journey, or adopted from the session. */
  userId?: string;
  /** RFC 8176 methods proven in this journey. */
  methods: string[];
  /** True when the account comes from the existing session, not from a login in this journey. */
  fromSession?: boolean;
  /** The user asked to sign in as someone else: ignore the session. */
  switchAccount?: boolean;
  tenantId?: string | null;
  /** The password typed no longer meets the policy: it must be changed. */
  passwordOutdated?: boolean;
  passwordChanged?: boolean;
  consented?: boolean;
  remember?: boolean;
  locale?: Locale;
  /** Second factor: the method the user verifies with, or enrols. */
  mfaMethod?: 'sms' | 'totp' | 'recovery';
  enrollMethod?: 'sms' | 'totp';
  /** The live SMS code of this journey (hashed). */
  sms?: { phone: string; hash: string; expiresAt: number; sentAt: number };
  /** Wrong codes per method in this journey; a new code never resets them. */
  failures?: Partial<Record<'sms' | 'totp' | 'recovery', number>>;
  /** A TOTP secret being enrolled, sealed with the master key. */
  totpSecretSealed?: string;
  /** Shown once after the first enrolment. */
  recoveryCodesPending?: boolean;
}

const key = (uid: string) => `journey:${uid}`;

export class JourneyStore {
  constructor(private readonly kv: KeyValueStore, private readonly ttlSeconds: number) {}

  async load(uid: string): Promise<Journey> {
    return (await this.kv.get<Journey>(key(uid))) ?? { methods: [] };
  }

  save(uid: string, journey: Journey): Promise<void> {
    return this.kv.set(key(uid), journey, this.ttlSeconds);
  }

  delete(uid: string): Promise<void> {
    return this.kv.delete(key(uid));
  }
}
