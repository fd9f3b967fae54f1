/**
 * An upstream identity provider (issue 12): Google, itsme or any OpenID provider a user signs in
 * with instead of (or before) a password. Operators configure them (admin API, CLI, import); the
 * journey shows their buttons and runs the upstream leg; the account keeps one linked identity
 * per provider subject. One `kind` today, `oidc`; another protocol (SAML) would be another kind
 * behind the same UpstreamClient interface (src/upstream/), the journey untouched.
 *
 * Secrets (the client secret, the private key) are sealed at rest and never leave the server:
 * the admin API shows only whether they are set.
 */
import { z } from 'zod';
import { noticeSchema } from './notice.js';

export const PROVIDER_PRESETS = ['google', 'itsme', 'generic'] as const;
export type ProviderPreset = (typeof PROVIDER_PRESETS)[number];

export const UPSTREAM_AUTH_METHODS = ['client_secret_basic', 'client_secret_post', 'private_key_jwt'] as const;

/** A provider id: what appears in URLs (`/interaction/callback/<id>`) and in `amr`-adjacent events. */
export const providerIdSchema = z
  .string()
  .min(2)
  .max(40)
  .regex(/^[a-z0-9][a-z0-9-]*$/, 'lowercase letters, digits and dashes');

/** What an operator gives (the secrets in clear, once); defaults come from the preset. */
export const upstreamProviderInputSchema = z
  .object({
    id: providerIdSchema,
    kind: z.literal('oidc').default('oidc'),
    preset: z.enum(PROVIDER_PRESETS).default('generic'),
    /**
     * The issuer: its `/.well-known/openid-configuration` is read (https; http only on loopback).
     * The google and itsme presets give theirs; a generic provider must name it.
     */
    issuer: z.string().url().max(500).optional(),
    clientId: z.string().min(1).max(200),
    /** For client_secret_basic / client_secret_post. */
    clientSecret: z.string().min(1).max(500).optional(),
    /** A private JWK (RS256 or ES256) for private_key_jwt and signed request objects (itsme). */
    privateKeyJwk: z.record(z.string(), z.unknown()).optional(),
    tokenEndpointAuthMethod: z.enum(UPSTREAM_AUTH_METHODS).optional(),
    /** Send the authorization request as a signed request object (RFC 9101, itsme). */
    requestObject: z.boolean().optional(),
    scopes: z.array(z.string().min(1).max(100)).min(1).max(20).optional(),
    /** `acr_values` sent upstream (itsme: http://itsme.net/loa/substantial or .../advanced). */
    acrValues: z.string().max(300).optional(),
    /** The claim naming the user at the provider (default `sub`). */
    subjectClaim: z.string().min(1).max(100).optional(),
    /** The provider's sign-in counts as two factors (itsme, an eID, is; Google is not). */
    trustedForTwoFactors: z.boolean().optional(),
    /** The button's label per language. */
    label: noticeSchema.describe("The button's label per language (fr, nl, de, en); default: the preset's, else the id").optional(),
    /** The button's icon: one Sesam serves (google, itsme) or none. */
    icon: z.enum(['google', 'itsme', 'none']).optional(),
    /** Tenants whose sign-ins show it; null: every tenant. */
    tenants: z.array(z.string()).nullable().optional(),
    /** Client apps whose sign-ins show it; null: every app. */
    clients: z.array(z.string()).nullable().optional(),
    /**
     * E-mail domains this provider is authoritative for (a company's Google Workspace): a verified
     * upstream e-mail in one of them links silently to the account with that e-mail. Elsewhere the
     * user proves the account once before the link is made.
     */
    authoritativeDomains: z.array(z.string().min(3).max(253).regex(/^[a-z0-9.-]+$/)).optional(),
    enabled: z.boolean().optional(),
  })
  .strict();
export type UpstreamProviderInput = z.input<typeof upstreamProviderInputSchema>;

/** A provider as Sesam holds it (defaults filled; secrets unsealed only in memory). */
export interface UpstreamProvider {
  id: string;
  kind: 'oidc';
  preset: ProviderPreset;
  issuer: string;
  clientId: string;
  clientSecret?: string;
  privateKeyJwk?: Record<string, unknown>;
  tokenEndpointAuthMethod: (typeof UPSTREAM_AUTH_METHODS)[number];
  requestObject: boolean;
  scopes: string[];
  acrValues?: string;
  subjectClaim: string;
  trustedForTwoFactors: boolean;
  label: Partial<Record<'fr' | 'nl' | 'de' | 'en', string>>;
  icon: 'google' | 'itsme' | 'none';
  tenants: string[] | null;
  clients: string[] | null;
  authoritativeDomains: string[];
  enabled: boolean;
}

/** The provider's name as pages show it: its label in `locale`, else English, else French, else its id. */
export function providerName(provider: Pick<UpstreamProvider, 'id' | 'label'> | undefined, locale: string, id = provider?.id ?? ''): string {
  const label = provider?.label as Partial<Record<string, string>> | undefined;
  return label?.[locale] ?? label?.en ?? label?.fr ?? id;
}

/** A user's account at a provider, linked to their Sesam account. */
export interface FederatedIdentity {
  providerId: string;
  /** The provider's subject (the `subjectClaim` value). */
  subject: string;
  userId: string;
  /** The e-mail the provider gave at the last sign-in, for the portal's list. */
  email: string | null;
  createdAt: Date;
  lastUsedAt: Date | null;
}
