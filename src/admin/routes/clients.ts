/** Client apps: registration metadata, secrets (shown once) and the notice beside their sign-in. */
import { z } from '../zod-openapi.js';
import { clientInputSchema } from '../../domain/schemas.js';
import { noticeSchema } from '../../model/notice.js';
import { conflict, notFound } from '../errors.js';
import { route, type AdminRoute } from '../route-types.js';
import { clientView } from '../views.js';
import { clientIdParam } from './common.js';

const noticeView = noticeSchema.meta({ id: 'Notice' });
const clientSchema = z
  .looseObject({
    client_id: z.string(),
    client_name: z.string().optional(),
    redirect_uris: z.array(z.string().openapi({ format: 'uri' })),
    post_logout_redirect_uris: z.array(z.string().openapi({ format: 'uri' })).optional(),
    grant_types: z.array(z.string()),
    token_endpoint_auth_method: z.enum(['client_secret_basic', 'client_secret_post', 'none']),
    scope: z.string().optional(),
    backchannel_logout_uri: z.string().optional().openapi({ format: 'uri' }),
    backchannel_logout_session_required: z.boolean().optional(),
    first_party: z.boolean().openapi({ description: 'Skips the consent screen' }),
    tenants: z.array(z.string()).nullable().openapi({ description: 'Tenants the client serves; null: every tenant' }),
    application_type: z.enum(['web', 'native']).optional().openapi({
      description:
        'Absent: web. `native` (RFC 8252): an app on a phone or desktop, with a private-use URI scheme redirect (`be.example.app:/callback`) or a loopback one (`http://127.0.0.1/callback`, any port at run time)',
    }),
    notice: noticeView.nullable().meta({ description: 'Shown beside the sign-in to this app; null: none' }),
  })
  .openapi('Client', { description: 'Registration metadata of a client app, without its secret' });
const clientWithSecret = clientSchema
  .extend({ client_secret: z.string().optional().openapi({ description: 'Present only when Sesam generated the secret: shown this once' }) })
  .openapi('ClientWithSecret', { description: 'A client app, with its secret when Sesam generated one' });
const clientWithNewSecret = clientSchema
  .extend({ client_secret: z.string().openapi({ description: 'The new secret: shown this once' }) })
  .openapi('ClientWithNewSecret', { description: 'A client app with its new secret' });
const clientInput = clientInputSchema.meta({
  id: 'ClientInput',
  description:
    'A client app. Without `client_secret` and `token_endpoint_auth_method` it is a public client (PKCE); a confidential client without a secret gets a generated one.',
});
const clientReplace = clientInputSchema.partial({ client_id: true }).meta({
  id: 'ClientReplace',
  description:
    '`client_id`, when given, must match the path. A confidential client keeps its current secret unless `client_secret` is given or `token_endpoint_auth_method` is `none`; a client keeps its notice unless `notice` is given (`null` removes it).',
});

const params = z.object({ id: clientIdParam });
const location = (clientId: string) => `/clients/${encodeURIComponent(clientId)}`;
const createdWithSecret = 'Created; a generated secret is in the answer, this once';

function withSecret<T extends object>(view: T, generatedSecret: string | undefined): T & { client_secret?: string } {
  return generatedSecret ? { ...view, client_secret: generatedSecret } : view;
}

export const clientRoutes: AdminRoute[] = [
  route({
    method: 'get',
    path: '/clients',
    operationId: 'listClients',
    summary: 'List client apps',
    tags: ['clients'],
    scope: 'admin',
    answers: { 200: { description: 'Clients, by client_id', schema: z.array(clientSchema) } },
    handle: async ({ deps }) => ({ body: (await deps.directory.clients.list()).map(clientView) }),
  }),
  route({
    method: 'post',
    path: '/clients',
    operationId: 'createClient',
    summary: 'Register a client app',
    tags: ['clients'],
    scope: 'admin',
    audit: ['admin.client_created'],
    body: { schema: clientInput },
    answers: { 201: { description: createdWithSecret, schema: clientWithSecret, location: true } },
    errors: [400, 413, 415, 404, 409],
    handle: async ({ body, deps: { directory }, audit }) => {
      if (await directory.clients.find(body.client_id)) throw conflict(`client ${body.client_id} already exists`);
      const { client, generatedSecret } = await directory.putClient(body);
      await audit({ type: 'admin.client_created', targetType: 'client', targetId: client.clientId, details: { client: client.clientId } });
      return { status: 201, location: location(client.clientId), body: withSecret(clientView(client), generatedSecret) };
    },
  }),
  route({
    method: 'get',
    path: '/clients/:id',
    operationId: 'getClient',
    summary: 'Get a client app',
    tags: ['clients'],
    scope: 'admin',
    params,
    answers: { 200: { description: 'The client', schema: clientSchema } },
    errors: [404],
    handle: async ({ params: p, deps: { directory } }) => {
      const client = await directory.clients.find(p.id);
      if (!client) throw notFound(`client ${p.id} does not exist`);
      return { body: clientView(client) };
    },
  }),
  route({
    method: 'put',
    path: '/clients/:id',
    operationId: 'putClient',
    summary: 'Register or replace a client app',
    tags: ['clients'],
    scope: 'admin',
    audit: ['admin.client_created', 'admin.client_updated'],
    params,
    body: { schema: clientReplace, object: true, fromPath: { field: 'client_id', param: 'id' } },
    answers: {
      200: { description: 'Replaced', schema: clientWithSecret },
      201: { description: createdWithSecret, schema: clientWithSecret, location: true },
    },
    errors: [400, 413, 415, 404],
    handle: async ({ params: p, body, deps: { directory }, audit }) => {
      const input = { ...body, client_id: p.id };
      const existing = await directory.clients.find(input.client_id);
      // A confidential client keeps its secret unless a new one is given or it becomes public.
      const currentSecret = existing?.metadata.client_secret;
      if (typeof currentSecret === 'string' && !input.client_secret && input.token_endpoint_auth_method !== 'none') input.client_secret = currentSecret;
      const { client, generatedSecret } = await directory.putClient(input);
      await audit({ type: existing ? 'admin.client_updated' : 'admin.client_created', targetType: 'client', targetId: client.clientId, details: { client: client.clientId } });
      const view = withSecret(clientView(client), generatedSecret);
      return existing ? { body: view } : { status: 201, location: location(client.clientId), body: view };
    },
  }),
  route({
    method: 'post',
    path: '/clients/:id/rotate-secret',
    operationId: 'rotateClientSecret',
    summary: "Rotate a client app's secret",
    description:
      'Gives a confidential client a new generated secret, shown this once. The old secret stops working at once (on other instances within CLIENT_CACHE_SECONDS); ' +
      'tokens already issued stay valid until they expire. A public client (`token_endpoint_auth_method` `none`) has no secret: 409.',
    tags: ['clients'],
    scope: 'admin',
    audit: ['admin.client_secret_rotated'],
    params,
    answers: { 200: { description: 'The client with its new secret, this once', schema: clientWithNewSecret } },
    errors: [404, 409],
    handle: async ({ params: p, deps: { directory }, audit }) => {
      const { client, secret } = await directory.rotateClientSecret(p.id);
      await audit({ type: 'admin.client_secret_rotated', targetType: 'client', targetId: client.clientId, details: { client: client.clientId } });
      return { body: { ...clientView(client), client_secret: secret } };
    },
  }),
  route({
    method: 'put',
    path: '/clients/:id/notice',
    operationId: 'putClientNotice',
    summary: "Set a client app's notice",
    description: 'The notice shown beside the sign-in to this app (e.g. a warning about fraudulent messages), per language; the rest of the registration stays.',
    tags: ['clients'],
    scope: 'admin',
    audit: ['admin.client_updated'],
    params,
    body: { schema: noticeView, object: true, prefix: 'notice' },
    answers: { 200: { description: 'The client with its notice', schema: clientSchema } },
    errors: [400, 413, 415, 404],
    handle: async ({ params: p, body, deps: { directory }, audit }) => {
      const client = await directory.setClientNotice(p.id, body);
      await audit({ type: 'admin.client_updated', targetType: 'client', targetId: client.clientId, details: { client: client.clientId, notice: true } });
      return { body: clientView(client) };
    },
  }),
  route({
    method: 'delete',
    path: '/clients/:id/notice',
    operationId: 'deleteClientNotice',
    summary: "Remove a client app's notice",
    tags: ['clients'],
    scope: 'admin',
    audit: ['admin.client_updated'],
    params,
    answers: { 200: { description: 'The client, without a notice', schema: clientSchema } },
    errors: [404],
    handle: async ({ params: p, deps: { directory }, audit }) => {
      const client = await directory.setClientNotice(p.id, null);
      await audit({ type: 'admin.client_updated', targetType: 'client', targetId: client.clientId, details: { client: client.clientId, notice: false } });
      return { body: clientView(client) };
    },
  }),
  route({
    method: 'delete',
    path: '/clients/:id',
    operationId: 'deleteClient',
    summary: 'Delete a client app',
    tags: ['clients'],
    scope: 'admin',
    audit: ['admin.client_deleted'],
    params,
    answers: { 204: { description: 'Deleted' } },
    errors: [404],
    handle: async ({ params: p, deps: { directory }, audit }) => {
      await directory.deleteClient(p.id);
      await audit({ type: 'admin.client_deleted', targetType: 'client', targetId: p.id, details: { client: p.id } });
      return { status: 204 };
    },
  }),
];
