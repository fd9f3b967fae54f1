/**
 * A tenant as its own admins run it (scope `tenant-admin`): its members, their lockouts,
 * passwords, second factors, phone and role, and its sign-in events. A tenant admin's token (from
 * `sesam login`) acts in the tenant of its sign-in; the operator's token in any. The rules (the
 * role read again at every call, a shared account's password and factors left alone) are
 * TenantAdministration's, which also records every change in the audit trail.
 */
import { z } from '../zod-openapi.js';
import { newMemberSchema } from '../../domain/tenant-administration.js';
import { formatEventCursor, parseEventCursor } from '../../repositories/events-repository.js';
import { badRequest } from '../errors.js';
import { route, type AdminRoute } from '../route-types.js';
import { acting, dateTime, eventSchema, nullableDateTime, tenantIdParam } from './common.js';
import { secondFactorStatus } from './second-factors.js';

const memberView = z
  .object({
    id: z.string().openapi({ format: 'uuid' }),
    login: z.string(),
    email: z.string().nullable(),
    name: z.string().nullable(),
    phone: z.string().nullable().openapi({ description: 'E.164' }),
    phoneVerified: z.boolean().openapi({ description: 'An SMS code proved the number: SMS is a usable second factor' }),
    locale: z.string().nullable(),
    role: z.enum(['member', 'admin']),
    disabled: z.boolean(),
    locked: z.boolean().openapi({ description: 'Locked by wrong passwords or codes (for good, or until `lockedUntil`)' }),
    lockedUntil: nullableDateTime('End of a temporary lockout'),
    mustChangePassword: z.boolean(),
    hasPassword: z.boolean(),
    shared: z.boolean().openapi({
      description: "A member of another tenant too: its password, second factors and disabling are not this tenant's (refused with `shared_account`)",
    }),
    firstLoginAt: nullableDateTime('Its first sign-in to this tenant'),
    createdAt: dateTime,
  })
  .openapi('Member', { description: "A member as their tenant's admins see them: nothing of the account's other tenants but that there are some" });

const memberDetail = memberView.extend({ secondFactors: secondFactorStatus }).openapi('MemberDetail');
const membersPage = z
  .object({
    members: z.array(memberView),
    nextOffset: z.number().int().nullable().openapi({ description: 'The `offset` of the next page; null on the last page' }),
  })
  .openapi('MembersPage');
const newMember = newMemberSchema.meta({
  id: 'NewMember',
  description:
    'A new member with an initial password, to change at the first sign-in. A login that exists already (in another tenant) only gains the membership: it keeps its own password and factors.',
});
const memberCreated = z
  .object({
    member: memberView,
    created: z.boolean().openapi({ description: 'False: an existing account gained the membership' }),
    passwordIgnored: z.boolean().openapi({ description: 'True: the account keeps its own password, the initial one was not used' }),
  })
  .openapi('MemberCreated');
const passwordReset = z
  .object({ password: z.string().min(1).max(256).openapi({ description: 'An initial password the member must change at the next sign-in' }) })
  .strict()
  .openapi('MemberPasswordReset');
const phoneChange = z
  .object({ phone: z.string().max(40).nullable().openapi({ description: 'A Belgian mobile number, to be proven by an SMS code at the next sign-in; null removes it' }) })
  .strict()
  .openapi('MemberPhone');
const roleChange = z.object({ role: z.enum(['member', 'admin']) }).strict().openapi('MemberRole');
const eventsPage = z
  .object({
    events: z.array(eventSchema),
    next: z.string().nullable().openapi({ description: 'The `before` of the next (older) page; null on the last page' }),
  })
  .openapi('TenantEventsPage');

const tenantParams = z.object({ id: tenantIdParam });
const memberParams = tenantParams.extend({
  member: z.string().min(1).max(320).openapi({ param: { name: 'member', in: 'path', description: 'Member id (uuid) or login' } }),
});
const membersQuery = z.object({
  search: z.string().max(200).optional().openapi({ param: { name: 'search', in: 'query', description: 'Only members whose login, e-mail or name contains this' } }),
  limit: z.coerce.number().int().min(1).max(200).default(50).openapi({ param: { name: 'limit', in: 'query', description: 'At most this many (1-200, default 50)' } }),
  offset: z.coerce.number().int().min(0).default(0).openapi({ param: { name: 'offset', in: 'query', description: 'Skip this many' } }),
});
const eventsQuery = z.object({
  limit: z.coerce.number().int().min(1).max(200).default(50).openapi({ param: { name: 'limit', in: 'query', description: 'At most this many (1-200, default 50)' } }),
  before: z.string().max(64).optional().openapi({ param: { name: 'before', in: 'query', description: 'The `next` of the previous page' } }),
});

const member = { 200: { description: 'The member', schema: memberView } };
const location = (tenantId: string, memberId: string) => `/tenants/${encodeURIComponent(tenantId)}/members/${memberId}`;

export const tenantMemberRoutes: AdminRoute[] = [
  route({
    method: 'get',
    path: '/tenants/:id/members',
    operationId: 'listMembers',
    summary: "List or search a tenant's members",
    tags: ['members'],
    scope: 'tenant-admin',
    params: tenantParams,
    query: membersQuery,
    answers: { 200: { description: 'Members by login', schema: membersPage } },
    errors: [400, 404],
    handle: async ({ query: q, tenantAdmin, deps }) => {
      const page = await deps.tenantAdministration.members(acting(tenantAdmin), q);
      return { body: { members: page.members, nextOffset: page.nextOffset ?? null } };
    },
  }),
  route({
    method: 'post',
    path: '/tenants/:id/members',
    operationId: 'createMember',
    summary: 'Add a member: a new user with an initial password, or an existing login',
    tags: ['members'],
    scope: 'tenant-admin',
    params: tenantParams,
    body: { schema: newMember, object: true },
    answers: { 201: { description: 'Added', schema: memberCreated, location: true } },
    errors: [400, 404, 409, 413, 415],
    handle: async ({ params: p, body, tenantAdmin, deps }) => {
      const created = await deps.tenantAdministration.createMember(acting(tenantAdmin), body);
      return { status: 201, location: location(p.id, created.member.id), body: created };
    },
  }),
  route({
    method: 'get',
    path: '/tenants/:id/members/:member',
    operationId: 'getMember',
    summary: 'Get a member, with the state of their second factors',
    tags: ['members'],
    scope: 'tenant-admin',
    params: memberParams,
    answers: { 200: { description: 'The member', schema: memberDetail } },
    errors: [400, 404],
    handle: async ({ params: p, tenantAdmin, deps }) => ({ body: await deps.tenantAdministration.member(acting(tenantAdmin), p.member) }),
  }),
  route({
    method: 'delete',
    path: '/tenants/:id/members/:member',
    operationId: 'removeMember',
    summary: 'Take a member out of the tenant (the account stays; all its sessions end)',
    tags: ['members'],
    scope: 'tenant-admin',
    params: memberParams,
    answers: { 204: { description: 'Removed' } },
    errors: [400, 404, 409],
    handle: async ({ params: p, tenantAdmin, deps }) => {
      await deps.tenantAdministration.removeMember(acting(tenantAdmin), p.member);
      return { status: 204 };
    },
  }),
  route({
    method: 'post',
    path: '/tenants/:id/members/:member/unlock',
    operationId: 'unlockMember',
    summary: 'Unlock a member locked by wrong passwords or codes',
    tags: ['members'],
    scope: 'tenant-admin',
    params: memberParams,
    answers: member,
    errors: [400, 404],
    handle: async ({ params: p, tenantAdmin, deps }) => ({ body: await deps.tenantAdministration.unlock(acting(tenantAdmin), p.member) }),
  }),
  route({
    method: 'post',
    path: '/tenants/:id/members/:member/reset-password',
    operationId: 'resetMemberPassword',
    summary: 'Give a member an initial password (unlocks, signs out everywhere, to change at the next sign-in)',
    description: 'Refused (`shared_account`) for an account that is also a member of another tenant.',
    tags: ['members'],
    scope: 'tenant-admin',
    params: memberParams,
    body: { schema: passwordReset, object: true },
    answers: member,
    errors: [400, 404, 409, 413, 415],
    handle: async ({ params: p, body, tenantAdmin, deps }) => ({ body: await deps.tenantAdministration.resetPassword(acting(tenantAdmin), p.member, body.password) }),
  }),
  route({
    method: 'post',
    path: '/tenants/:id/members/:member/reset-second-factors',
    operationId: 'resetMemberSecondFactors',
    summary: "Switch off a member's second factors (a lost phone); signs out everywhere",
    description: 'Refused (`shared_account`) for an account that is also a member of another tenant.',
    tags: ['members'],
    scope: 'tenant-admin',
    params: memberParams,
    answers: member,
    errors: [400, 404, 409],
    handle: async ({ params: p, tenantAdmin, deps }) => ({ body: await deps.tenantAdministration.resetSecondFactors(acting(tenantAdmin), p.member) }),
  }),
  route({
    method: 'post',
    path: '/tenants/:id/members/:member/disable',
    operationId: 'disableMember',
    summary: 'Disable a member (signs out everywhere); never the acting admin',
    description: 'Refused (`shared_account`) for an account that is also a member of another tenant: remove it from the tenant instead.',
    tags: ['members'],
    scope: 'tenant-admin',
    params: memberParams,
    answers: member,
    errors: [400, 404, 409],
    handle: async ({ params: p, tenantAdmin, deps }) => ({ body: await deps.tenantAdministration.setDisabled(acting(tenantAdmin), p.member, true) }),
  }),
  route({
    method: 'post',
    path: '/tenants/:id/members/:member/enable',
    operationId: 'enableMember',
    summary: 'Enable a disabled member',
    tags: ['members'],
    scope: 'tenant-admin',
    params: memberParams,
    answers: member,
    errors: [400, 404, 409],
    handle: async ({ params: p, tenantAdmin, deps }) => ({ body: await deps.tenantAdministration.setDisabled(acting(tenantAdmin), p.member, false) }),
  }),
  route({
    method: 'put',
    path: '/tenants/:id/members/:member/phone',
    operationId: 'setMemberPhone',
    summary: "Replace or remove a member's phone number",
    description:
      "The new number is not a second factor until an SMS code proves it; replacing a proven number ends the member's trusted devices and sessions. Refused (`shared_account`) for an account that is also another tenant's: its number is the whole account's.",
    tags: ['members'],
    scope: 'tenant-admin',
    params: memberParams,
    body: { schema: phoneChange, object: true },
    answers: member,
    errors: [400, 404, 409, 413, 415],
    handle: async ({ params: p, body, tenantAdmin, deps }) => ({ body: await deps.tenantAdministration.changePhone(acting(tenantAdmin), p.member, body.phone) }),
  }),
  route({
    method: 'put',
    path: '/tenants/:id/members/:member/role',
    operationId: 'setMemberRole',
    summary: 'Make a member an admin of the tenant, or a plain member (the tenant keeps one admin)',
    tags: ['members'],
    scope: 'tenant-admin',
    params: memberParams,
    body: { schema: roleChange, object: true },
    answers: member,
    errors: [400, 404, 409, 413, 415],
    handle: async ({ params: p, body, tenantAdmin, deps }) => ({ body: await deps.tenantAdministration.setRole(acting(tenantAdmin), p.member, body.role) }),
  }),
  route({
    method: 'get',
    path: '/tenants/:id/events',
    operationId: 'listTenantEvents',
    summary: "A tenant's sign-in events and admin actions, newest first",
    description: "Sign-ins to the tenant, its members' failures and locks before a tenant was chosen, and its admins' actions.",
    tags: ['members', 'events'],
    scope: 'tenant-admin',
    params: tenantParams,
    query: eventsQuery,
    answers: { 200: { description: 'Events, newest first', schema: eventsPage } },
    errors: [400, 404],
    handle: async ({ query: q, tenantAdmin, deps }) => {
      const before = q.before === undefined ? undefined : parseEventCursor(q.before);
      if (q.before !== undefined && !before) throw badRequest('before: is not a page cursor (use the `next` of the previous page)');
      const page = await deps.tenantAdministration.events(acting(tenantAdmin), { before, limit: q.limit });
      return { body: { events: page.events, next: page.next ? formatEventCursor(page.next) : null } };
    },
  }),
];
