/** Shapes of what operators submit (admin API and import file), validated with zod. */
import { z } from 'zod';
import { tenantPolicySchema } from '../model/tenant-policy.js';
import { noticeSchema } from '../model/notice.js';
import { upstreamProviderInputSchema } from '../model/upstream-provider.js';

export const tenantIdSchema = z.string().regex(/^[a-z0-9][a-z0-9_-]{0,63}$/, 'must be 1-64 lower-case letters, digits, dashes or underscores');

export const tenantInputSchema = z
  .object({
    id: tenantIdSchema,
    name: z.string().trim().min(1).max(200),
    policy: tenantPolicySchema.optional(),
  })
  .strict();

export const membershipInputSchema = z.union([
  tenantIdSchema.transform((id) => ({ id, role: 'member' as const })),
  z.object({ id: tenantIdSchema, role: z.enum(['member', 'admin']).default('member') }).strict(),
]);

export const userInputSchema = z
  .object({
    login: z.string().trim().min(1).max(200).regex(/^[^\s]+$/, 'must not contain spaces'),
    email: z.string().trim().email().max(320).optional().nullable(),
    name: z.string().trim().max(200).optional().nullable(),
    password: z.string().min(1).max(256).optional(),
    phone: z.string().trim().max(32).optional().nullable(),
    locale: z.enum(['fr', 'nl', 'de', 'en']).optional().nullable(),
    mustChangePassword: z.boolean().optional(),
    disabled: z.boolean().optional(),
    tenants: z.array(membershipInputSchema).default([]),
  })
  .strict();

const httpUrl = z.string().url().refine((u) => /^https?:/.test(u), 'must be an http(s) URL');
const redirectUri = z.string().url();

export const clientInputSchema = z
  .object({
    client_id: z.string().regex(/^[\w.:-]{3,200}$/, 'must be 3-200 letters, digits, dots, colons, dashes or underscores'),
    client_secret: z.string().min(32, 'must be at least 32 characters').max(512).optional(),
    client_name: z.string().max(200).optional(),
    redirect_uris: z.array(redirectUri).default([]),
    post_logout_redirect_uris: z.array(redirectUri).optional(),
    grant_types: z.array(z.enum(['authorization_code', 'refresh_token', 'client_credentials'])).optional(),
    token_endpoint_auth_method: z.enum(['client_secret_basic', 'client_secret_post', 'none']).optional(),
    scope: z.string().max(500).optional(),
    backchannel_logout_uri: httpUrl.optional(),
    backchannel_logout_session_required: z.boolean().optional(),
    tenants: z.array(tenantIdSchema).optional().nullable(),
    first_party: z.boolean().optional(),
    /** RFC 8252: `native` (an app on a phone or desktop) may use a private-use URI scheme or a loopback redirect on any port. */
    application_type: z.enum(['web', 'native']).optional(),
    notice: noticeSchema.optional().nullable(),
  })
  .strict();

export const importFileSchema = z
  .object({
    tenants: z.array(tenantInputSchema).default([]),
    users: z.array(userInputSchema).default([]),
    clients: z.array(clientInputSchema).default([]),
    /**
     * Upstream providers (issue 12), applied after tenants and clients (which they may name). Their
     * secrets (clientSecret, privateKeyJwk) may be written here, in clear: they are sealed when
     * stored, and a provider listed without them keeps the ones it has. Keep such a file as a secret.
     */
    providers: z.array(upstreamProviderInputSchema).default([]),
  })
  .strict();

export type TenantInput = z.infer<typeof tenantInputSchema>;
export type UserInput = z.infer<typeof userInputSchema>;
export type ClientInput = z.infer<typeof clientInputSchema>;
export type ImportFile = z.infer<typeof importFileSchema>;

/** One line for a zod error: where and what. */
export function describeZodError(error: z.ZodError, prefix = ''): string {
  const issue = error.issues[0];
  const where = [prefix, ...issue.path.map(String)].filter(Boolean).join('.');
  return `${where || 'input'}: ${issue.message}`;
}
