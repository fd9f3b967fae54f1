/** Signing keys: list and rotate. */
import { z } from '../zod-openapi.js';
import { listSigningKeys } from '../../oidc/signing-keys.js';
import { route, type AdminRoute } from '../route-types.js';
import { keyView } from '../views.js';
import { dateTime, nullableDateTime } from './common.js';
import type { Queryable } from '../../storage/database.js';

const signingKey = z
  .object({
    kid: z.string(),
    alg: z.enum(['RS256', 'ES256']),
    createdAt: dateTime,
    retiredAt: nullableDateTime().optional(),
    expiresAt: nullableDateTime('When a retired key leaves the JWKS').optional(),
    active: z.boolean().openapi({ description: 'Signs new tokens' }),
    published: z.boolean().openapi({ description: 'In the JWKS' }),
  })
  .openapi('SigningKey');
const keyRotation = z
  .object({ kids: z.array(z.string()).openapi({ description: 'The new signing keys' }), keys: z.array(signingKey) })
  .openapi('KeyRotation');

const keys = async (db: Queryable) => (await listSigningKeys(db)).map((k) => keyView(k));

export const keyRoutes: AdminRoute[] = [
  route({
    method: 'get',
    path: '/keys',
    operationId: 'listKeys',
    summary: 'List signing keys',
    tags: ['keys'],
    scope: 'admin',
    answers: { 200: { description: 'Signing keys, newest first', schema: z.array(signingKey) } },
    handle: async ({ deps }) => ({ body: await keys(deps.db) }),
  }),
  route({
    method: 'post',
    path: '/keys/rotate',
    operationId: 'rotateKeys',
    summary: 'Rotate the signing keys',
    description: 'New keys sign from now on; the retired ones stay in the JWKS until the tokens they signed have expired.',
    tags: ['keys'],
    scope: 'admin',
    answers: { 200: { description: 'The new keys', schema: keyRotation } },
    handle: async ({ actor, deps }) => {
      const kids = await deps.rotateKeys(actor);
      return { body: { kids, keys: await keys(deps.db) } };
    },
  }),
];
