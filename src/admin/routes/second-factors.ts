/** A user's second factors, trusted devices, passkeys and recovery codes (a lost phone: an admin switches them off). */
import { z } from '../zod-openapi.js';
import { badRequest, notFound } from '../errors.js';
import { route, type AdminRoute } from '../route-types.js';
import { dateTime, nullableDateTime, userIdParam } from './common.js';

export const secondFactorStatus = z
  .object({
    sms: z.boolean().openapi({ description: 'The phone number is proven by an SMS code' }),
    totp: z.boolean().openapi({ description: 'A confirmed authenticator app' }),
    recoveryCodesRemaining: z.number().int().min(0).openapi({ description: 'Unused recovery codes' }),
    trustedDevices: z.number().int().min(0).openapi({ description: 'Browsers that skip the second factor (neither revoked nor expired)' }),
    passkeys: z.number().int().min(0).openapi({ description: 'Passkeys that can sign in (not flagged as cloned)' }),
  })
  .openapi('SecondFactorStatus', { description: "A user's second factors" });

const passkeyView = z
  .object({
    id: z.string().openapi({ format: 'uuid' }),
    name: z.string().min(1).max(100),
    aaguid: z.string().nullable().openapi({ format: 'uuid', description: "The authenticator model's AAGUID; null when the authenticator hides it" }),
    authenticator: z
      .string()
      .nullable()
      .openapi({ description: 'The authenticator model, when its AAGUID is a known one (iCloud Keychain, Google Password Manager, Windows Hello, …)' }),
    deviceType: z.enum(['singleDevice', 'multiDevice']).openapi({ description: "multiDevice: backup eligible (synced to the user's other devices)" }),
    backedUp: z.boolean().openapi({ description: 'The authenticator said, at the last use, that the key is backed up' }),
    synced: z.boolean().openapi({ description: 'Backup eligible (deviceType multiDevice)' }),
    transports: z.array(z.string()).openapi({ description: 'How the browser reaches the authenticator (internal, hybrid, usb, nfc, ble)' }),
    createdAt: dateTime,
    lastUsedAt: nullableDateTime(),
    flagged: z.boolean().openapi({ description: 'Its signature counter went backwards (a cloned key): it no longer signs in' }),
  })
  .openapi('Passkey', { description: 'A passkey (WebAuthn credential); never its key' });

const passkeyRename = z
  .object({
    name: z
      .string()
      .trim()
      .min(1, 'must not be empty')
      .max(100, 'must be at most 100 characters')
      .openapi({ description: 'The new name (trimmed)' }),
  })
  .strict()
  .openapi('PasskeyRename');

const trustedDevice = z
  .object({
    id: z.string().openapi({ format: 'uuid' }),
    userAgent: z.string().nullable().optional(),
    ip: z.string().nullable().optional(),
    createdAt: dateTime,
    lastUsedAt: nullableDateTime().optional(),
    expiresAt: dateTime,
  })
  .openapi('TrustedDevice', { description: 'A browser remembered after a second factor; never its token' });

const recoveryCodes = z
  .object({
    codes: z
      .array(z.string().regex(/^[a-z2-7]{5}-[a-z2-7]{5}$/))
      .openapi({ description: 'Single-use codes, shown this once; every earlier code no longer works' }),
  })
  .openapi('RecoveryCodes');

const params = z.object({ id: userIdParam });
const deviceParams = params.extend({ deviceId: z.string().openapi({ format: 'uuid', param: { description: 'Trusted device id' } }) });
const passkeyParams = params.extend({
  passkeyId: z.string().openapi({ format: 'uuid', param: { description: 'Passkey id (the `id` of a Passkey, not its credential id)' } }),
});

export const secondFactorRoutes: AdminRoute[] = [
  route({
    method: 'get',
    path: '/users/:id/second-factors',
    operationId: 'getUserSecondFactors',
    summary: "A user's second factors",
    tags: ['users'],
    scope: 'admin',
    params,
    answers: { 200: { description: 'Which second factors the user has', schema: secondFactorStatus } },
    errors: [404],
    handle: async ({ params: p, deps: { directory, credentials } }) => ({
      body: await credentials.status((await directory.requireUser(p.id)).id),
    }),
  }),
  route({
    method: 'delete',
    path: '/users/:id/second-factors',
    operationId: 'resetUserSecondFactors',
    summary: "Switch a user's second factors off (a lost phone)",
    description:
      'Removes the authenticator app, the recovery codes and every passkey, unproves the phone (the number stays), forgets the preferred ' +
      'factor and revokes every trusted device, in one transaction; then every browser session of the user ends and every grant is revoked. ' +
      'Records `admin.second_factors_reset` (with how many of each were removed) and `account.sessions_ended`. The user signs in with the password and enrols again ' +
      'when the tenant requires a second factor.',
    tags: ['users'],
    scope: 'admin',
    params,
    answers: { 204: { description: 'Reset' } },
    errors: [404],
    handle: async ({ params: p, actor, deps: { directory, credentials } }) => {
      await credentials.resetSecondFactors((await directory.requireUser(p.id)).id, actor);
      return { status: 204 };
    },
  }),
  route({
    method: 'get',
    path: '/users/:id/devices',
    operationId: 'listUserDevices',
    summary: "A user's trusted devices, newest first",
    description: 'Devices neither revoked nor expired; never their token.',
    tags: ['users'],
    scope: 'admin',
    params,
    answers: { 200: { description: 'Trusted devices, newest first', schema: z.array(trustedDevice) } },
    errors: [404],
    handle: async ({ params: p, deps: { directory, credentials } }) => ({
      body: await credentials.devicesOf((await directory.requireUser(p.id)).id),
    }),
  }),
  route({
    method: 'delete',
    path: '/users/:id/devices/:deviceId',
    operationId: 'revokeUserDevice',
    summary: 'Revoke a trusted device',
    description: 'The browser must pass the second factor again; records `admin.device_revoked`. 404 when the user has no such device still trusted.',
    tags: ['users'],
    scope: 'admin',
    params: deviceParams,
    answers: { 204: { description: 'Revoked' } },
    errors: [404],
    handle: async ({ params: p, actor, deps: { directory, credentials } }) => {
      const user = await directory.requireUser(p.id);
      if (!(await credentials.revokeDevice(user.id, p.deviceId, actor))) throw notFound(`user ${p.id} has no trusted device ${p.deviceId}`);
      return { status: 204 };
    },
  }),
  route({
    method: 'get',
    path: '/users/:id/passkeys',
    operationId: 'listUserPasskeys',
    summary: "A user's passkeys, newest first",
    description: 'Flagged ones (a cloned key was detected) too, marked `flagged`; never their keys.',
    tags: ['users'],
    scope: 'admin',
    params,
    answers: { 200: { description: 'Passkeys, newest first', schema: z.array(passkeyView) } },
    errors: [404],
    handle: async ({ params: p, deps: { directory, credentials } }) => ({
      body: await credentials.passkeysOf((await directory.requireUser(p.id)).id),
    }),
  }),
  route({
    method: 'patch',
    path: '/users/:id/passkeys/:passkeyId',
    operationId: 'renameUserPasskey',
    summary: 'Rename a passkey',
    description: 'Records `passkey.renamed`. 404 when the user has no such passkey.',
    tags: ['users'],
    scope: 'admin',
    params: passkeyParams,
    body: { schema: passkeyRename },
    answers: { 200: { description: 'The renamed passkey', schema: passkeyView } },
    errors: [400, 413, 415, 404],
    handle: async ({ params: p, body, actor, deps: { directory, credentials } }) => {
      const user = await directory.requireUser(p.id);
      const passkey = await credentials.renamePasskey(user.id, p.passkeyId, body.name, { actor }).catch((e: unknown) => {
        throw e instanceof RangeError ? badRequest(`name: ${e.message}`) : e;
      });
      if (!passkey) throw notFound(`user ${p.id} has no passkey ${p.passkeyId}`);
      return { body: passkey };
    },
  }),
  route({
    method: 'delete',
    path: '/users/:id/passkeys/:passkeyId',
    operationId: 'deleteUserPasskey',
    summary: 'Remove a passkey',
    description: 'It no longer signs in (the copy on the authenticator stays, unusable). Records `passkey.removed`. 404 when the user has no such passkey.',
    tags: ['users'],
    scope: 'admin',
    params: passkeyParams,
    answers: { 204: { description: 'Removed' } },
    errors: [404],
    handle: async ({ params: p, actor, deps: { directory, credentials } }) => {
      const user = await directory.requireUser(p.id);
      if (!(await credentials.removePasskey(user.id, p.passkeyId, { actor }))) throw notFound(`user ${p.id} has no passkey ${p.passkeyId}`);
      return { status: 204 };
    },
  }),
  route({
    method: 'post',
    path: '/users/:id/recovery-codes',
    operationId: 'regenerateUserRecoveryCodes',
    summary: 'Issue new recovery codes',
    description: 'Replaces all earlier codes; the new ones are in the answer, this once. Records `admin.recovery_codes_regenerated`.',
    tags: ['users'],
    scope: 'admin',
    params,
    answers: { 200: { description: 'The new codes, shown this once', schema: recoveryCodes } },
    errors: [415, 404],
    handle: async ({ params: p, actor, deps: { directory, credentials } }) => ({
      body: { codes: await credentials.issueRecoveryCodes((await directory.requireUser(p.id)).id, { actor }) },
    }),
  }),
];
