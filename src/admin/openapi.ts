/**
 * The OpenAPI 3.1 description of the admin API, served at `GET /admin/openapi.json`. Request
 * bodies are the JSON Schema of the very zod schemas the API validates with, so the two cannot
 * drift apart; answers are described here. Every route of router.ts appears here (a test
 * checks it).
 */
import { z } from 'zod';
import { clientInputSchema, tenantInputSchema, userInputSchema } from '../domain/schemas.js';
import { tenantPolicySchema } from '../model/tenant-policy.js';
import { noticeSchema } from '../model/notice.js';

export type JsonSchema = { [keyword: string]: unknown };
export interface Reference {
  $ref: string;
}
export interface Parameter {
  name: string;
  in: 'path' | 'query' | 'header';
  required?: boolean;
  description?: string;
  schema: JsonSchema;
}
export interface MediaType {
  schema: JsonSchema | Reference;
  example?: unknown;
}
export interface RequestBody {
  required?: boolean;
  description?: string;
  content: Record<string, MediaType>;
}
export interface ResponseObject {
  description: string;
  headers?: Record<string, { description?: string; schema: JsonSchema }>;
  content?: Record<string, MediaType>;
}
export type SecurityRequirement = Record<string, string[]>;
export interface Operation {
  operationId: string;
  summary: string;
  description?: string;
  tags: string[];
  parameters?: (Parameter | Reference)[];
  requestBody?: RequestBody;
  responses: Record<string, ResponseObject | Reference>;
  security?: SecurityRequirement[];
}
export type HttpMethod = 'get' | 'post' | 'put' | 'patch' | 'delete';
export type PathItem = { [M in HttpMethod]?: Operation } & { parameters?: (Parameter | Reference)[] };
export interface OAuth2Scheme {
  type: 'oauth2';
  description?: string;
  flows: { clientCredentials: { tokenUrl: string; scopes: Record<string, string> } };
}
export interface OpenApiDocument {
  openapi: '3.1.0';
  info: { title: string; version: string; description: string };
  servers: { url: string; description?: string }[];
  tags: { name: string; description: string }[];
  security: SecurityRequirement[];
  paths: Record<string, PathItem>;
  components: {
    schemas: Record<string, JsonSchema>;
    parameters: Record<string, Parameter>;
    responses: Record<string, ResponseObject>;
    securitySchemes: Record<string, OAuth2Scheme>;
  };
}

/** JSON Schema (2020-12, which OpenAPI 3.1 uses) of what a zod schema accepts. */
function accepts(schema: z.ZodType): JsonSchema {
  const { $schema: _dialect, ...rest } = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as JsonSchema;
  return rest;
}
function produces(schema: z.ZodType): JsonSchema {
  const { $schema: _dialect, ...rest } = z.toJSONSchema(schema, { io: 'output', unrepresentable: 'any' }) as JsonSchema;
  return rest;
}

const ref = (name: string): Reference => ({ $ref: `#/components/schemas/${name}` });
const param = (name: string): Reference => ({ $ref: `#/components/parameters/${name}` });
const response = (name: string): Reference => ({ $ref: `#/components/responses/${name}` });
const json = (schema: JsonSchema | Reference, description: string): ResponseObject => ({ description, content: { 'application/json': { schema } } });
const listOf = (name: string, description: string) => json({ type: 'array', items: ref(name) }, description);
const body = (schema: JsonSchema | Reference, description?: string): RequestBody => ({
  required: true,
  ...(description ? { description } : {}),
  content: { 'application/json': { schema } },
});
const createdHeaders = { Location: { description: 'The new resource', schema: { type: 'string' } } };

/** 401 and 403 apply to every authenticated operation; 400/404/409/413/415/501 where they can happen. */
function op(operation: Omit<Operation, 'responses'> & { responses: Record<string, ResponseObject | Reference> }, errors: string[] = []): Operation {
  const responses: Record<string, ResponseObject | Reference> = { ...operation.responses };
  for (const code of [...errors, '401', '403']) {
    responses[code] = response(
      { '400': 'BadRequest', '401': 'Unauthorized', '403': 'Forbidden', '404': 'NotFound', '409': 'Conflict', '413': 'TooLarge', '415': 'NotJson', '501': 'NotImplemented' }[code]!,
    );
  }
  return { ...operation, responses };
}
const WITH_BODY = ['400', '413', '415'];
/** Second-factor operations: an unknown user, or a server built without second factors. */
const SECOND_FACTOR_ERRORS = ['404'];

const nullable = (type: string, extra: JsonSchema = {}): JsonSchema => ({ type: [type, 'null'], ...extra });
const dateTime = { type: 'string', format: 'date-time' };

export function openApiDocument(issuer: string): OpenApiDocument {
  const schemas: Record<string, JsonSchema> = {
    Error: {
      type: 'object',
      required: ['error', 'error_description'],
      properties: {
        error: {
          type: 'string',
          description: 'invalid_request, invalid_token, insufficient_scope, not_found, conflict, method_not_allowed, not_implemented or server_error',
        },
        error_description: { type: 'string', description: 'One line: `<field>: <problem>` for validation errors' },
      },
    },
    TenantPolicy: { ...produces(tenantPolicySchema), description: 'A tenant policy, every key filled in' },
    TenantPolicyPatch: { ...accepts(tenantPolicySchema), description: 'Some keys of a policy; `lockout` is merged key by key' },
    Tenant: {
      type: 'object',
      required: ['id', 'name', 'policy'],
      properties: { id: { type: 'string' }, name: { type: 'string' }, policy: ref('TenantPolicy') },
    },
    TenantInput: accepts(tenantInputSchema),
    TenantReplace: {
      ...accepts(tenantInputSchema.partial({ id: true })),
      description: 'A tenant; `id`, when given, must match the path; a missing `policy` keeps the current one (defaults for a new tenant)',
    },
    Membership: {
      type: 'object',
      required: ['tenantId', 'tenantName', 'role'],
      properties: { tenantId: { type: 'string' }, tenantName: { type: 'string' }, role: { type: 'string', enum: ['member', 'admin'] } },
    },
    User: {
      type: 'object',
      description: 'A user as the API shows it: never the password hash',
      required: ['id', 'login', 'mustChangePassword', 'disabled', 'locked', 'hasPassword', 'memberships'],
      properties: {
        id: { type: 'string', format: 'uuid' },
        login: { type: 'string' },
        email: nullable('string'),
        name: nullable('string'),
        phone: nullable('string', { description: 'E.164' }),
        phoneVerifiedAt: nullable('string', { format: 'date-time', description: 'When an SMS code proved the phone: SMS is a usable second factor' }),
        preferredFactor: nullable('string', { description: 'The second factor offered first at sign-in' }),
        locale: nullable('string'),
        mustChangePassword: { type: 'boolean', description: 'The user must choose a new password at the next sign-in' },
        disabled: { type: 'boolean' },
        failedAttempts: { type: 'integer' },
        lockouts: { type: 'integer', description: 'Temporary lockouts in a row' },
        lockedUntil: nullable('string', { format: 'date-time', description: 'End of a temporary lockout' }),
        locked: { type: 'boolean', description: 'Locked until an admin unlocks' },
        passwordChangedAt: nullable('string', { format: 'date-time' }),
        createdAt: dateTime,
        hasPassword: { type: 'boolean' },
        memberships: { type: 'array', items: ref('Membership') },
      },
    },
    UserInput: {
      ...accepts(userInputSchema),
      description: 'A new user. `password` is an initial password: the user must change it at the next sign-in unless `mustChangePassword` is false. A tenant is an id or `{ id, role }`.',
    },
    UserPatch: {
      ...accepts(userInputSchema.omit({ password: true }).partial()),
      description: 'Profile fields to change; listed memberships are added or updated, others are left alone. The password is set with reset-password.',
    },
    PasswordReset: {
      type: 'object',
      required: ['password'],
      additionalProperties: false,
      properties: { password: { type: 'string', minLength: 1, maxLength: 256, description: 'An initial password the user must change at the next sign-in' } },
    },
    SecondFactorStatus: {
      type: 'object',
      description: "A user's second factors",
      required: ['sms', 'totp', 'recoveryCodesRemaining', 'trustedDevices', 'passkeys'],
      properties: {
        sms: { type: 'boolean', description: 'The phone number is proven by an SMS code' },
        totp: { type: 'boolean', description: 'A confirmed authenticator app' },
        recoveryCodesRemaining: { type: 'integer', minimum: 0, description: 'Unused recovery codes' },
        trustedDevices: { type: 'integer', minimum: 0, description: 'Browsers that skip the second factor (neither revoked nor expired)' },
        passkeys: { type: 'integer', minimum: 0, description: 'Passkeys that can sign in (not flagged as cloned)' },
      },
    },
    Passkey: {
      type: 'object',
      description: 'A passkey (WebAuthn credential); never its key',
      required: ['id', 'name', 'aaguid', 'authenticator', 'deviceType', 'backedUp', 'synced', 'transports', 'createdAt', 'lastUsedAt', 'flagged'],
      properties: {
        id: { type: 'string', format: 'uuid' },
        name: { type: 'string', minLength: 1, maxLength: 100 },
        aaguid: nullable('string', { format: 'uuid', description: "The authenticator model's AAGUID; null when the authenticator hides it" }),
        authenticator: nullable('string', { description: 'The authenticator model, when its AAGUID is a known one (iCloud Keychain, Google Password Manager, Windows Hello, …)' }),
        deviceType: { type: 'string', enum: ['singleDevice', 'multiDevice'], description: 'multiDevice: backup eligible (synced to the user\'s other devices)' },
        backedUp: { type: 'boolean', description: 'The authenticator said, at the last use, that the key is backed up' },
        synced: { type: 'boolean', description: 'Backup eligible (deviceType multiDevice)' },
        transports: { type: 'array', items: { type: 'string' }, description: 'How the browser reaches the authenticator (internal, hybrid, usb, nfc, ble)' },
        createdAt: dateTime,
        lastUsedAt: nullable('string', { format: 'date-time' }),
        flagged: { type: 'boolean', description: 'Its signature counter went backwards (a cloned key): it no longer signs in' },
      },
    },
    PasskeyRename: {
      type: 'object',
      required: ['name'],
      additionalProperties: false,
      properties: { name: { type: 'string', minLength: 1, maxLength: 100, description: 'The new name (trimmed)' } },
    },
    TrustedDevice: {
      type: 'object',
      description: 'A browser remembered after a second factor; never its token',
      required: ['id', 'createdAt', 'expiresAt'],
      properties: {
        id: { type: 'string', format: 'uuid' },
        userAgent: nullable('string'),
        ip: nullable('string'),
        createdAt: dateTime,
        lastUsedAt: nullable('string', { format: 'date-time' }),
        expiresAt: dateTime,
      },
    },
    RecoveryCodes: {
      type: 'object',
      required: ['codes'],
      properties: {
        codes: {
          type: 'array',
          items: { type: 'string', pattern: '^[a-z2-7]{5}-[a-z2-7]{5}$' },
          description: 'Single-use codes, shown this once; every earlier code no longer works',
        },
      },
    },
    Client: {
      type: 'object',
      description: 'Registration metadata of a client app, without its secret',
      required: ['client_id', 'redirect_uris', 'grant_types', 'token_endpoint_auth_method', 'first_party', 'tenants'],
      properties: {
        client_id: { type: 'string' },
        client_name: { type: 'string' },
        redirect_uris: { type: 'array', items: { type: 'string', format: 'uri' } },
        post_logout_redirect_uris: { type: 'array', items: { type: 'string', format: 'uri' } },
        grant_types: { type: 'array', items: { type: 'string' } },
        token_endpoint_auth_method: { type: 'string', enum: ['client_secret_basic', 'client_secret_post', 'none'] },
        scope: { type: 'string' },
        backchannel_logout_uri: { type: 'string', format: 'uri' },
        backchannel_logout_session_required: { type: 'boolean' },
        first_party: { type: 'boolean', description: 'Skips the consent screen' },
        tenants: nullable('array', { items: { type: 'string' }, description: 'Tenants the client serves; null: every tenant' }),
        application_type: {
          type: 'string',
          enum: ['web', 'native'],
          description: 'Absent: web. `native` (RFC 8252): an app on a phone or desktop, with a private-use URI scheme redirect (`be.example.app:/callback`) or a loopback one (`http://127.0.0.1/callback`, any port at run time)',
        },
        notice: { anyOf: [ref('Notice'), { type: 'null' }], description: 'Shown beside the sign-in to this app; null: none' },
      },
    },
    Notice: produces(noticeSchema),
    ClientWithSecret: {
      allOf: [ref('Client')],
      properties: { client_secret: { type: 'string', description: 'Present only when Sesam generated the secret: shown this once' } },
    },
    ClientInput: {
      ...accepts(clientInputSchema),
      description: 'A client app. Without `client_secret` and `token_endpoint_auth_method` it is a public client (PKCE); a confidential client without a secret gets a generated one.',
    },
    ClientReplace: {
      ...accepts(clientInputSchema.partial({ client_id: true })),
      description:
        '`client_id`, when given, must match the path. A confidential client keeps its current secret unless `client_secret` is given or `token_endpoint_auth_method` is `none`; a client keeps its notice unless `notice` is given (`null` removes it).',
    },
    SigningKey: {
      type: 'object',
      required: ['kid', 'alg', 'createdAt', 'active', 'published'],
      properties: {
        kid: { type: 'string' },
        alg: { type: 'string', enum: ['RS256', 'ES256'] },
        createdAt: dateTime,
        retiredAt: nullable('string', { format: 'date-time' }),
        expiresAt: nullable('string', { format: 'date-time', description: 'When a retired key leaves the JWKS' }),
        active: { type: 'boolean', description: 'Signs new tokens' },
        published: { type: 'boolean', description: 'In the JWKS' },
      },
    },
    KeyRotation: {
      type: 'object',
      required: ['kids', 'keys'],
      properties: { kids: { type: 'array', items: { type: 'string' }, description: 'The new signing keys' }, keys: { type: 'array', items: ref('SigningKey') } },
    },
    Event: {
      type: 'object',
      required: ['id', 'at', 'type'],
      properties: {
        id: { type: 'integer' },
        at: dateTime,
        type: {
          type: 'string',
          examples: [
            'login.success',
            'login.failure',
            'account.locked',
            'account.unlocked',
            'admin.user_created',
            'admin.password_reset',
            'admin.second_factors_reset',
            'admin.device_revoked',
            'admin.recovery_codes_regenerated',
            'passkey.created',
            'passkey.renamed',
            'passkey.removed',
            'passkey.clone_suspected',
            'admin.keys_rotated',
          ],
        },
        userId: nullable('string', { format: 'uuid' }),
        tenantId: nullable('string'),
        clientId: nullable('string'),
        ip: nullable('string'),
        userAgent: nullable('string'),
        method: nullable('string'),
        details: nullable('object'),
      },
    },
  };

  const parameters: Record<string, Parameter> = {
    tenantId: { name: 'id', in: 'path', required: true, description: 'Tenant id', schema: { type: 'string' } },
    userId: { name: 'id', in: 'path', required: true, description: 'User id (uuid), login or e-mail', schema: { type: 'string' } },
    clientId: { name: 'id', in: 'path', required: true, description: 'client_id', schema: { type: 'string' } },
    deviceId: { name: 'deviceId', in: 'path', required: true, description: 'Trusted device id', schema: { type: 'string', format: 'uuid' } },
    passkeyId: { name: 'passkeyId', in: 'path', required: true, description: 'Passkey id (the `id` of a Passkey, not its credential id)', schema: { type: 'string', format: 'uuid' } },
    limit: { name: 'limit', in: 'query', description: 'At most this many (1-1000, default 100)', schema: { type: 'integer', minimum: 1, maximum: 1000, default: 100 } },
    offset: { name: 'offset', in: 'query', description: 'Skip this many', schema: { type: 'integer', minimum: 0, default: 0 } },
    tenantFilter: { name: 'tenant', in: 'query', description: 'Only this tenant', schema: { type: 'string' } },
    typeFilter: { name: 'type', in: 'query', description: 'Only events of this type', schema: { type: 'string' } },
    userFilter: { name: 'user', in: 'query', description: 'Only events of this user (uuid, login or e-mail)', schema: { type: 'string' } },
  };

  const error = (description: string): ResponseObject => json(ref('Error'), description);
  const responses: Record<string, ResponseObject> = {
    BadRequest: error('Invalid request: malformed JSON or a field that does not validate (`<field>: <problem>`)'),
    Unauthorized: {
      ...error('No access token, or an unknown or expired one (`invalid_token`)'),
      headers: { 'WWW-Authenticate': { schema: { type: 'string' }, description: 'Bearer challenge' } },
    },
    Forbidden: error('The access token lacks the admin scope (`insufficient_scope`)'),
    NotFound: error('No such tenant, user, client, trusted device or passkey'),
    Conflict: error('Already exists, or still in use'),
    TooLarge: error('Body larger than 256kb'),
    NotJson: error('A body that is not application/json'),
    NotImplemented: error('This server was built without the feature (`not_implemented`)'),
  };

  const tags = ['tenants', 'users', 'clients', 'keys', 'events'];
  const v1 = '/admin/v1';

  const paths: Record<string, PathItem> = {
    '/admin/openapi.json': {
      get: {
        operationId: 'getOpenApi',
        summary: 'This document',
        tags: ['meta'],
        security: [],
        responses: { '200': json({ type: 'object' }, 'The OpenAPI 3.1 description of the admin API') },
      },
    },
    [`${v1}/tenants`]: {
      get: op({ operationId: 'listTenants', summary: 'List tenants', tags: ['tenants'], responses: { '200': listOf('Tenant', 'Tenants, by name') } }),
      post: op(
        {
          operationId: 'createTenant',
          summary: 'Create a tenant',
          tags: ['tenants'],
          requestBody: body(ref('TenantInput')),
          responses: { '201': { ...json(ref('Tenant'), 'Created'), headers: createdHeaders } },
        },
        [...WITH_BODY, '409'],
      ),
    },
    [`${v1}/tenants/{id}`]: {
      parameters: [param('tenantId')],
      get: op({ operationId: 'getTenant', summary: 'Get a tenant', tags: ['tenants'], responses: { '200': json(ref('Tenant'), 'The tenant') } }, ['404']),
      put: op(
        {
          operationId: 'putTenant',
          summary: 'Create or replace a tenant',
          tags: ['tenants'],
          requestBody: body(ref('TenantReplace')),
          responses: { '200': json(ref('Tenant'), 'Replaced'), '201': { ...json(ref('Tenant'), 'Created'), headers: createdHeaders } },
        },
        WITH_BODY,
      ),
      delete: op(
        {
          operationId: 'deleteTenant',
          summary: 'Delete a tenant',
          description: 'Its memberships go with it. Refused (409) while a client still lists the tenant.',
          tags: ['tenants'],
          responses: { '204': { description: 'Deleted' } },
        },
        ['404', '409'],
      ),
    },
    [`${v1}/tenants/{id}/policy`]: {
      parameters: [param('tenantId')],
      patch: op(
        {
          operationId: 'patchTenantPolicy',
          summary: "Change some keys of a tenant's policy",
          tags: ['tenants'],
          requestBody: body(ref('TenantPolicyPatch')),
          responses: { '200': json(ref('Tenant'), 'The tenant with its new policy') },
        },
        [...WITH_BODY, '404'],
      ),
    },
    [`${v1}/users`]: {
      get: op(
        {
          operationId: 'listUsers',
          summary: 'List users',
          tags: ['users'],
          parameters: [param('tenantFilter'), param('limit'), param('offset')],
          responses: { '200': listOf('User', 'Users, by login') },
        },
        ['400', '404'],
      ),
      post: op(
        {
          operationId: 'createUser',
          summary: 'Create a user',
          tags: ['users'],
          requestBody: body(ref('UserInput')),
          responses: { '201': { ...json(ref('User'), 'Created'), headers: createdHeaders } },
        },
        [...WITH_BODY, '404', '409'],
      ),
    },
    [`${v1}/users/{id}`]: {
      parameters: [param('userId')],
      get: op({ operationId: 'getUser', summary: 'Get a user', tags: ['users'], responses: { '200': json(ref('User'), 'The user') } }, ['404']),
      patch: op(
        {
          operationId: 'patchUser',
          summary: "Change a user's profile, state or memberships",
          tags: ['users'],
          requestBody: body(ref('UserPatch')),
          responses: { '200': json(ref('User'), 'The changed user') },
        },
        [...WITH_BODY, '404', '409'],
      ),
      delete: op({ operationId: 'deleteUser', summary: 'Delete a user', tags: ['users'], responses: { '204': { description: 'Deleted' } } }, ['404']),
    },
    [`${v1}/users/{id}/unlock`]: {
      parameters: [param('userId')],
      post: op(
        {
          operationId: 'unlockUser',
          summary: 'Unlock a user',
          description: 'Clears a permanent or temporary lockout and the failure count; records `account.unlocked`.',
          tags: ['users'],
          responses: { '200': json(ref('User'), 'The unlocked user') },
        },
        ['404'],
      ),
    },
    [`${v1}/users/{id}/reset-password`]: {
      parameters: [param('userId')],
      post: op(
        {
          operationId: 'resetUserPassword',
          summary: 'Set an initial password',
          description:
            'The user must change it at the next sign-in; the account is unlocked. Every browser session of the user ends and every grant ' +
            '(refresh and access tokens) is revoked; records `admin.password_reset` and `account.sessions_ended`.',
          tags: ['users'],
          requestBody: body(ref('PasswordReset')),
          responses: { '200': json(ref('User'), 'The user') },
        },
        [...WITH_BODY, '404'],
      ),
    },
    [`${v1}/users/{id}/events`]: {
      parameters: [param('userId')],
      get: op(
        {
          operationId: 'listUserEvents',
          summary: "A user's events, newest first",
          tags: ['users', 'events'],
          parameters: [param('tenantFilter'), param('typeFilter'), param('limit')],
          responses: { '200': listOf('Event', 'Events, newest first') },
        },
        ['400', '404'],
      ),
    },
    [`${v1}/users/{id}/second-factors`]: {
      parameters: [param('userId')],
      get: op(
        {
          operationId: 'getUserSecondFactors',
          summary: "A user's second factors",
          tags: ['users'],
          responses: { '200': json(ref('SecondFactorStatus'), 'Which second factors the user has') },
        },
        SECOND_FACTOR_ERRORS,
      ),
      delete: op(
        {
          operationId: 'resetUserSecondFactors',
          summary: "Switch a user's second factors off (a lost phone)",
          description:
            'Removes the authenticator app, the recovery codes and every passkey, unproves the phone (the number stays), forgets the preferred ' +
            'factor and revokes every trusted device, in one transaction; then every browser session of the user ends and every grant is revoked. ' +
            'Records `admin.second_factors_reset` (with how many of each were removed) and `account.sessions_ended`. The user signs in with the password and enrols again ' +
            'when the tenant requires a second factor.',
          tags: ['users'],
          responses: { '204': { description: 'Reset' } },
        },
        SECOND_FACTOR_ERRORS,
      ),
    },
    [`${v1}/users/{id}/devices`]: {
      parameters: [param('userId')],
      get: op(
        {
          operationId: 'listUserDevices',
          summary: "A user's trusted devices, newest first",
          description: 'Devices neither revoked nor expired; never their token.',
          tags: ['users'],
          responses: { '200': listOf('TrustedDevice', 'Trusted devices, newest first') },
        },
        SECOND_FACTOR_ERRORS,
      ),
    },
    [`${v1}/users/{id}/devices/{deviceId}`]: {
      parameters: [param('userId'), param('deviceId')],
      delete: op(
        {
          operationId: 'revokeUserDevice',
          summary: 'Revoke a trusted device',
          description: 'The browser must pass the second factor again; records `admin.device_revoked`. 404 when the user has no such device still trusted.',
          tags: ['users'],
          responses: { '204': { description: 'Revoked' } },
        },
        SECOND_FACTOR_ERRORS,
      ),
    },
    [`${v1}/users/{id}/passkeys`]: {
      parameters: [param('userId')],
      get: op(
        {
          operationId: 'listUserPasskeys',
          summary: "A user's passkeys, newest first",
          description: 'Flagged ones (a cloned key was detected) too, marked `flagged`; never their keys.',
          tags: ['users'],
          responses: { '200': listOf('Passkey', 'Passkeys, newest first') },
        },
        ['404'],
      ),
    },
    [`${v1}/users/{id}/passkeys/{passkeyId}`]: {
      parameters: [param('userId'), param('passkeyId')],
      patch: op(
        {
          operationId: 'renameUserPasskey',
          summary: 'Rename a passkey',
          description: 'Records `passkey.renamed`. 404 when the user has no such passkey.',
          tags: ['users'],
          requestBody: body(ref('PasskeyRename')),
          responses: { '200': json(ref('Passkey'), 'The renamed passkey') },
        },
        [...WITH_BODY, '404'],
      ),
      delete: op(
        {
          operationId: 'deleteUserPasskey',
          summary: 'Remove a passkey',
          description: 'It no longer signs in (the copy on the authenticator stays, unusable). Records `passkey.removed`. 404 when the user has no such passkey.',
          tags: ['users'],
          responses: { '204': { description: 'Removed' } },
        },
        ['404'],
      ),
    },
    [`${v1}/users/{id}/recovery-codes`]: {
      parameters: [param('userId')],
      post: op(
        {
          operationId: 'regenerateUserRecoveryCodes',
          summary: 'Issue new recovery codes',
          description: 'Replaces all earlier codes; the new ones are in the answer, this once. Records `admin.recovery_codes_regenerated`.',
          tags: ['users'],
          responses: { '200': json(ref('RecoveryCodes'), 'The new codes, shown this once') },
        },
        ['415', ...SECOND_FACTOR_ERRORS],
      ),
    },
    [`${v1}/clients`]: {
      get: op({ operationId: 'listClients', summary: 'List client apps', tags: ['clients'], responses: { '200': listOf('Client', 'Clients, by client_id') } }),
      post: op(
        {
          operationId: 'createClient',
          summary: 'Register a client app',
          tags: ['clients'],
          requestBody: body(ref('ClientInput')),
          responses: { '201': { ...json(ref('ClientWithSecret'), 'Created; a generated secret is in the answer, this once'), headers: createdHeaders } },
        },
        [...WITH_BODY, '404', '409'],
      ),
    },
    [`${v1}/clients/{id}`]: {
      parameters: [param('clientId')],
      get: op({ operationId: 'getClient', summary: 'Get a client app', tags: ['clients'], responses: { '200': json(ref('Client'), 'The client') } }, ['404']),
      put: op(
        {
          operationId: 'putClient',
          summary: 'Register or replace a client app',
          tags: ['clients'],
          requestBody: body(ref('ClientReplace')),
          responses: {
            '200': json(ref('ClientWithSecret'), 'Replaced'),
            '201': { ...json(ref('ClientWithSecret'), 'Created; a generated secret is in the answer, this once'), headers: createdHeaders },
          },
        },
        [...WITH_BODY, '404'],
      ),
      delete: op({ operationId: 'deleteClient', summary: 'Delete a client app', tags: ['clients'], responses: { '204': { description: 'Deleted' } } }, ['404']),
    },
    [`${v1}/clients/{id}/notice`]: {
      parameters: [param('clientId')],
      put: op(
        {
          operationId: 'putClientNotice',
          summary: "Set a client app's notice",
          description: 'The notice shown beside the sign-in to this app (e.g. a warning about fraudulent messages), per language; the rest of the registration stays.',
          tags: ['clients'],
          requestBody: body(accepts(noticeSchema)),
          responses: { '200': json(ref('Client'), 'The client with its notice') },
        },
        [...WITH_BODY, '404'],
      ),
      delete: op(
        { operationId: 'deleteClientNotice', summary: "Remove a client app's notice", tags: ['clients'], responses: { '200': json(ref('Client'), 'The client, without a notice') } },
        ['404'],
      ),
    },
    [`${v1}/keys`]: {
      get: op({ operationId: 'listKeys', summary: 'List signing keys', tags: ['keys'], responses: { '200': listOf('SigningKey', 'Signing keys, newest first') } }),
    },
    [`${v1}/keys/rotate`]: {
      post: op({
        operationId: 'rotateKeys',
        summary: 'Rotate the signing keys',
        description: 'New keys sign from now on; the retired ones stay in the JWKS until the tokens they signed have expired.',
        tags: ['keys'],
        responses: { '200': json(ref('KeyRotation'), 'The new keys') },
      }),
    },
    [`${v1}/events`]: {
      get: op(
        {
          operationId: 'listEvents',
          summary: 'The event log, newest first',
          tags: ['events'],
          parameters: [param('userFilter'), param('tenantFilter'), param('typeFilter'), param('limit')],
          responses: { '200': listOf('Event', 'Events, newest first') },
        },
        ['400', '404'],
      ),
    },
  };

  return {
    openapi: '3.1.0',
    info: {
      title: 'Sesam admin API',
      version: '1',
      description:
        'Tenants, users (and their second factors), client apps, signing keys and the event log of a Sesam server. ' +
        'Authenticate with an access token obtained by ' +
        'client_credentials (scope `admin`) at the token endpoint, sent as `Authorization: Bearer <token>`. Errors are ' +
        '`{ error, error_description }`. The `sesam` CLI is a client of this API.',
    },
    servers: [{ url: issuer }],
    tags: [...tags.map((name) => ({ name, description: `${name[0].toUpperCase()}${name.slice(1)}` })), { name: 'meta', description: 'About the API' }],
    security: [{ adminClientCredentials: ['admin'] }],
    paths,
    components: {
      schemas,
      parameters,
      responses,
      securitySchemes: {
        adminClientCredentials: {
          type: 'oauth2',
          description: 'An access token of a client allowed the `admin` scope, sent as `Authorization: Bearer <token>`',
          flows: { clientCredentials: { tokenUrl: `${issuer}/token`, scopes: { admin: 'Manage tenants, users, client apps and keys' } } },
        },
      },
    },
  };
}
