/** Users, their state (lockout, password) and their events. */
import { z } from '../zod-openapi.js';
import { userInputSchema } from '../../domain/schemas.js';
import { route, type AdminRoute } from '../route-types.js';
import { dateTime, eventSchema, eventsQuery, limitSchema, nullableDateTime, offsetSchema, tenantFilter, userIdParam } from './common.js';
import type { Directory } from '../../domain/directory.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Events may outlive their user: a uuid is taken as is, a login or e-mail must exist. */
export async function userIdFor(directory: Directory, idOrIdentifier: string): Promise<string> {
  if (UUID.test(idOrIdentifier)) return idOrIdentifier.toLowerCase();
  return (await directory.requireUser(idOrIdentifier)).id;
}

const membershipView = z
  .object({ tenantId: z.string(), tenantName: z.string(), role: z.enum(['member', 'admin']) })
  .openapi('Membership');
export const userView = z
  .object({
    id: z.string().openapi({ format: 'uuid' }),
    login: z.string(),
    email: z.string().nullable().optional(),
    name: z.string().nullable().optional(),
    phone: z.string().nullable().optional().openapi({ description: 'E.164' }),
    phoneVerifiedAt: nullableDateTime('When an SMS code proved the phone: SMS is a usable second factor').optional(),
    preferredFactor: z.string().nullable().optional().openapi({ description: 'The second factor offered first at sign-in' }),
    locale: z.string().nullable().optional(),
    mustChangePassword: z.boolean().openapi({ description: 'The user must choose a new password at the next sign-in' }),
    disabled: z.boolean(),
    failedAttempts: z.number().int().optional(),
    lockouts: z.number().int().optional().openapi({ description: 'Temporary lockouts in a row' }),
    lockedUntil: nullableDateTime('End of a temporary lockout').optional(),
    locked: z.boolean().openapi({ description: 'Locked until an admin unlocks' }),
    passwordChangedAt: nullableDateTime().optional(),
    createdAt: dateTime.optional(),
    hasPassword: z.boolean(),
    memberships: z.array(membershipView),
  })
  .openapi('User', { description: 'A user as the API shows it: never the password hash' });

const userInput = userInputSchema.meta({
  id: 'UserInput',
  description:
    'A new user. `password` is an initial password: the user must change it at the next sign-in unless `mustChangePassword` is false. A tenant is an id or `{ id, role }`.',
});
const userPatch = userInputSchema
  .omit({ password: true })
  .partial()
  .meta({
    id: 'UserPatch',
    description: 'Profile fields to change; listed memberships are added or updated, others are left alone. The password is set with reset-password.',
  });
const passwordReset = z
  .object({ password: z.string().min(1).max(256).openapi({ description: 'An initial password the user must change at the next sign-in' }) })
  .strict()
  .openapi('PasswordReset');

const params = z.object({ id: userIdParam });
const usersQuery = z.object({ tenant: tenantFilter, limit: limitSchema, offset: offsetSchema });

export const userRoutes: AdminRoute[] = [
  route({
    method: 'get',
    path: '/users',
    operationId: 'listUsers',
    summary: 'List users',
    tags: ['users'],
    scope: 'admin',
    query: usersQuery,
    answers: { 200: { description: 'Users, by login', schema: z.array(userView) } },
    errors: [400, 404],
    handle: async ({ query: q, deps: { directory } }) => {
      if (q.tenant) await directory.requireTenant(q.tenant);
      const users = await directory.users.list({ tenantId: q.tenant, limit: q.limit, offset: q.offset });
      return { body: await Promise.all(users.map((u) => directory.view(u))) };
    },
  }),
  route({
    method: 'post',
    path: '/users',
    operationId: 'createUser',
    summary: 'Create a user',
    tags: ['users'],
    scope: 'admin',
    body: { schema: userInput },
    answers: { 201: { description: 'Created', schema: userView, location: true } },
    errors: [400, 413, 415, 404, 409],
    handle: async ({ body, actor, deps: { directory } }) => {
      const user = await directory.createUser(body, actor);
      return { status: 201, location: `/users/${user.id}`, body: await directory.view(user) };
    },
  }),
  route({
    method: 'get',
    path: '/users/:id',
    operationId: 'getUser',
    summary: 'Get a user',
    tags: ['users'],
    scope: 'admin',
    params,
    answers: { 200: { description: 'The user', schema: userView } },
    errors: [404],
    handle: async ({ params: p, deps: { directory } }) => ({ body: await directory.view(await directory.requireUser(p.id)) }),
  }),
  route({
    method: 'patch',
    path: '/users/:id',
    operationId: 'patchUser',
    summary: "Change a user's profile, state or memberships",
    tags: ['users'],
    scope: 'admin',
    params,
    body: {
      schema: userPatch,
      object: true,
      refuse: { field: 'password', reason: 'cannot be changed here; use POST /admin/v1/users/{id}/reset-password' },
    },
    answers: { 200: { description: 'The changed user', schema: userView } },
    errors: [400, 413, 415, 404, 409],
    handle: async ({ params: p, body, actor, deps: { directory } }) => ({
      body: await directory.view(await directory.updateUser(p.id, body, actor)),
    }),
  }),
  route({
    method: 'delete',
    path: '/users/:id',
    operationId: 'deleteUser',
    summary: 'Delete a user',
    tags: ['users'],
    scope: 'admin',
    params,
    answers: { 204: { description: 'Deleted' } },
    errors: [404],
    handle: async ({ params: p, actor, deps: { directory } }) => {
      await directory.deleteUser(p.id, actor);
      return { status: 204 };
    },
  }),
  route({
    method: 'post',
    path: '/users/:id/unlock',
    operationId: 'unlockUser',
    summary: 'Unlock a user',
    description: 'Clears a permanent or temporary lockout and the failure count; records `account.unlocked`.',
    tags: ['users'],
    scope: 'admin',
    params,
    answers: { 200: { description: 'The unlocked user', schema: userView } },
    errors: [404],
    handle: async ({ params: p, actor, deps: { directory } }) => ({ body: await directory.view(await directory.unlock(p.id, actor)) }),
  }),
  route({
    method: 'post',
    path: '/users/:id/reset-password',
    operationId: 'resetUserPassword',
    summary: 'Set an initial password',
    description:
      'The user must change it at the next sign-in; the account is unlocked. Every browser session of the user ends and every grant ' +
      '(refresh and access tokens) is revoked; records `admin.password_reset` and `account.sessions_ended`.',
    tags: ['users'],
    scope: 'admin',
    params,
    body: { schema: passwordReset },
    answers: { 200: { description: 'The user', schema: userView } },
    errors: [400, 413, 415, 404],
    handle: async ({ params: p, body, actor, deps: { directory } }) => ({
      body: await directory.view(await directory.resetPassword(p.id, body.password, actor)),
    }),
  }),
  route({
    method: 'get',
    path: '/users/:id/events',
    operationId: 'listUserEvents',
    summary: "A user's events, newest first",
    tags: ['users', 'events'],
    scope: 'admin',
    params,
    query: eventsQuery.omit({ user: true }),
    answers: { 200: { description: 'Events, newest first', schema: z.array(eventSchema) } },
    errors: [400, 404],
    handle: async ({ params: p, query: q, deps: { directory, events } }) => {
      const userId = await userIdFor(directory, p.id);
      return { body: await events.list({ userId, tenantId: q.tenant, type: q.type, limit: q.limit }) };
    },
  }),
];
