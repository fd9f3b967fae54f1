/**
 * A tenant's security policy: every key has a default (DESIGN.md, "Declarative import").
 * Defaults follow seed 000: three wrong passwords lock the account until an admin unlocks it.
 */
import { z } from 'zod';
import { noticeSchema } from './notice.js';
import { providerIdSchema } from './upstream-provider.js';

export const MFA_METHODS = ['sms', 'totp', 'passkey'] as const;
export type MfaMethod = (typeof MFA_METHODS)[number];

export const tenantPolicySchema = z
  .object({
    mfa: z.enum(['off', 'optional', 'required']).default('off'),
    methods: z.array(z.enum(MFA_METHODS)).min(1).default(['sms', 'totp']),
    lockout: z
      .object({
        threshold: z.number().int().min(1).max(100).default(3),
        mode: z.enum(['permanent', 'temporary']).default('permanent'),
        /** Temporary mode: first lock lasts this many minutes, doubling with each further lock. */
        baseMinutes: z.number().int().min(1).max(1440).default(5),
        /**
         * A lock anyone can trigger must not shut the owner out: by default (`separate`) the
         * owner's trusted device keeps its own budget of `threshold` wrong passwords past a lock;
         * `strict` (seed 000's rule) makes a lock a lock for every device.
         */
        trustedDevices: z.enum(['separate', 'strict']).default('separate'),
      })
      .strict()
      .default({ threshold: 3, mode: 'permanent', baseMinutes: 5, trustedDevices: 'separate' }),
    trustedDeviceDays: z.number().int().min(0).max(400).default(30),
    passwordReset: z.enum(['self-service', 'admin']).default('admin'),
    contact: z.string().max(300).default(''),
    /** Default language of the tenant's pages, after ui_locales and Accept-Language. */
    locale: z.enum(['fr', 'nl', 'de', 'en']).optional(),
    /** Minimum length of a password; a member whose password is shorter must change it at the next sign-in. */
    minPasswordLength: z.number().int().min(12).max(128).default(12),
    /** After a sign-in with the password, offer to create a passkey on a device that can hold one (seed 004). */
    offerPasskeys: z.boolean().default(true),
    /** A notice shown beside the sign-in to this tenant's users (seed 004); null or absent: none. */
    notice: noticeSchema.nullable().optional(),
    /**
     * Upstream providers (their ids, issue 12) from which a person with no account may create one
     * just in time, becoming a member of this tenant: the tenant's own choice, off by default. A
     * provider not listed here still signs in the accounts linked to it; an id of a provider that
     * does not (or no longer) exist allows nothing.
     */
    signUpProviders: z.array(providerIdSchema).max(20).default([]),
  })
  .strict();

export type TenantPolicy = z.infer<typeof tenantPolicySchema>;
export type LockoutPolicy = TenantPolicy['lockout'];

export const DEFAULT_POLICY: TenantPolicy = tenantPolicySchema.parse({});

/** Parses a policy, filling defaults; throws a zod error naming the bad key. */
export function parsePolicy(input: unknown): TenantPolicy {
  return tenantPolicySchema.parse(input ?? {});
}

/**
 * The lockout rule an account is held to. An account is one, so its lock is one: when a user
 * belongs to several tenants, the strictest of their policies applies (lowest threshold;
 * permanent beats temporary; longest base delay; strict beats a trusted device's own budget).
 * With no tenant, the default policy applies.
 */
export function strictestLockout(policies: TenantPolicy[]): LockoutPolicy {
  if (policies.length === 0) return DEFAULT_POLICY.lockout;
  return {
    threshold: Math.min(...policies.map((p) => p.lockout.threshold)),
    mode: policies.some((p) => p.lockout.mode === 'permanent') ? 'permanent' : 'temporary',
    baseMinutes: Math.max(...policies.map((p) => p.lockout.baseMinutes)),
    trustedDevices: policies.some((p) => p.lockout.trustedDevices === 'strict') ? 'strict' : 'separate',
  };
}
