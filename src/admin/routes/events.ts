/** The event log. */
import { z } from '../zod-openapi.js';
import { route, type AdminRoute } from '../route-types.js';
import { eventSchema, eventsQuery } from './common.js';
import { userIdFor } from './users.js';

export const eventRoutes: AdminRoute[] = [
  route({
    method: 'get',
    path: '/events',
    operationId: 'listEvents',
    summary: 'The event log, newest first',
    tags: ['events'],
    scope: 'admin',
    query: eventsQuery,
    answers: { 200: { description: 'Events, newest first', schema: z.array(eventSchema) } },
    errors: [400, 404],
    handle: async ({ query: q, deps: { directory, events } }) => {
      const userId = q.user ? await userIdFor(directory, q.user) : undefined;
      return { body: await events.list({ userId, tenantId: q.tenant, type: q.type, limit: q.limit }) };
    },
  }),
];
