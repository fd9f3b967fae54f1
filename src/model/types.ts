/** The identity domain's records, free of storage and HTTP concerns. */
import type { TenantPolicy } from './tenant-policy.js';
import type { Notice } from './notice.js';

export type Role = 'member' | 'admin';

export interface Tenant {
  id: string;
  name: string;
  policy: TenantPolicy;
}

export interface Membership {
  tenantId: string;
  tenantName: string;
  role: Role;
  policy: TenantPolicy;
  firstLoginAt: Date | null;
}

export interface User {
  id: string;
  login: string;
  email: string | null;
  name: string | null;
  passwordHash: string | null;
  mustChangePassword: boolean;
  phone: string | null;
  /** Set when the phone number was proven by an SMS code (a usable second factor). */
  phoneVerifiedAt: Date | null;
  preferredFactor: string | null;
  locale: string | null;
  disabled: boolean;
  failedAttempts: number;
  /** Wrong second-factor codes in a row, across journeys. */
  secondFactorFailures: number;
  lockouts: number;
  lockedUntil: Date | null;
  locked: boolean;
  passwordChangedAt: Date | null;
  /** Who switched two-step verification on: the user (portal) or a requirement (a sign-in's set-up); null while off. */
  mfaEnabledBy: MfaEnabledBy | null;
  createdAt: Date;
}

export type MfaEnabledBy = 'user' | 'required';

export interface ClientRecord {
  clientId: string;
  /** oidc-provider client metadata (snake_case), secret included. */
  metadata: Record<string, unknown>;
  firstParty: boolean;
  /** null: the client serves every tenant. */
  tenants: string[] | null;
  /** A notice shown beside the sign-in to this app (seed 004); never part of the engine's metadata. */
  notice?: Notice | null;
}

export interface EventRecord {
  type: string;
  userId?: string | null;
  tenantId?: string | null;
  clientId?: string | null;
  ip?: string | null;
  userAgent?: string | null;
  method?: string | null;
  details?: Record<string, unknown> | null;
  /** Who made an admin change (an audit row): an operator client (`clientId`) or a tenant admin (`actorUserId`). */
  actorType?: AuditActorType | null;
  /** The tenant admin who acted (a user id). */
  actorUserId?: string | null;
  /** What an admin change was made on; a user target defaults to `userId`. */
  targetType?: AuditTargetType | null;
  targetId?: string | null;
}

export type AuditActorType = 'operator' | 'tenant_admin';
/** `initial_token`: an initial access token for dynamic client registration (its id, never its value); `provider`: an upstream provider. */
export type AuditTargetType = 'user' | 'tenant' | 'client' | 'key' | 'initial_token' | 'provider';
