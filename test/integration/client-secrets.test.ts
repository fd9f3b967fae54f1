/**
 * Rotating a client secret on real PostgreSQL and Redis: the new secret is shown once, the old one
 * is refused at the token endpoint at once, a public or unknown client is refused, and no event
 * holds either secret.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startTestServer, adminToken, type TestServer } from '../helpers/server.js';
import { call, clientCredentials } from '../helpers/http-call.js';

describe('client secret rotation (PostgreSQL + Redis)', () => {
  let server: TestServer;
  let token: string;
  const api = (method: string, path: string, body?: unknown, bearer: string = token) => call(`${server.url}/admin/v1${path}`, method, { token: bearer, body });

  beforeAll(async () => {
    server = await startTestServer({ backend: 'postgres', redis: true });
    token = await adminToken(server);
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('gives a new secret once: the old one is refused at the token endpoint at once, the new one works, and the audit row holds neither', async () => {
    const created = await api('POST', '/clients', { client_id: 'rotor', grant_types: ['client_credentials'], redirect_uris: [] });
    expect(created.status).toBe(201);
    const oldSecret: string = created.body.client_secret;
    // The engine and the client cache have just read the client with its old secret.
    expect((await clientCredentials(server, 'rotor', oldSecret)).status).toBe(200);

    const rotated = await api('POST', '/clients/rotor/rotate-secret');
    expect(rotated.status).toBe(200);
    const newSecret: string = rotated.body.client_secret;
    expect(newSecret.length).toBeGreaterThanOrEqual(32);
    expect(newSecret).not.toBe(oldSecret);
    expect(rotated.body).toMatchObject({ client_id: 'rotor', grant_types: ['client_credentials'], token_endpoint_auth_method: 'client_secret_basic' });

    const refused = await clientCredentials(server, 'rotor', oldSecret);
    expect(refused.status).toBe(401);
    expect(refused.body.error).toBe('invalid_client');
    expect((await clientCredentials(server, 'rotor', newSecret)).status).toBe(200);
    // Shown once: never again.
    const got = await api('GET', '/clients/rotor');
    expect(got.body).not.toHaveProperty('client_secret');
    expect(JSON.stringify(got.body)).not.toContain(newSecret);

    const events = await server.sesam.db('events').where({ type: 'admin.client_secret_rotated' });
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ actor_type: 'operator', client_id: server.sesam.adminCredentials.clientId, target_type: 'client', target_id: 'rotor' });
    const dump = JSON.stringify(await server.sesam.db('events').select('*'));
    expect(dump).not.toContain(newSecret);
    expect(dump).not.toContain(oldSecret);
  });

  it('refuses a public client (409), an unknown client (404), and a caller without the admin scope', async () => {
    expect((await api('POST', '/clients', { client_id: 'spa', redirect_uris: ['https://spa.example/cb'] })).status).toBe(201);
    const publicClient = await api('POST', '/clients/spa/rotate-secret');
    expect(publicClient.status).toBe(409);
    expect(publicClient.body).toEqual({ error: 'conflict', error_description: 'client spa is public (token_endpoint_auth_method none): it has no secret to rotate' });
    expect((await server.sesam.directory.clients.find('spa'))!.metadata).not.toHaveProperty('client_secret');

    const unknown = await api('POST', '/clients/nobody/rotate-secret');
    expect(unknown.status).toBe(404);
    expect(unknown.body.error).toBe('not_found');

    // A client's own token (client_credentials without `admin`) cannot rotate anything, not even its own secret.
    const created = await api('POST', '/clients', { client_id: 'reporter', grant_types: ['client_credentials'], redirect_uris: [] });
    const secret: string = created.body.client_secret;
    const own = (await clientCredentials(server, 'reporter', secret)).body.access_token as string;
    const forbidden = await api('POST', '/clients/reporter/rotate-secret', undefined, own);
    expect(forbidden.status).toBe(403);
    expect(forbidden.body.error).toBe('insufficient_scope');
    const anonymous = await call(`${server.url}/admin/v1/clients/reporter/rotate-secret`, 'POST');
    expect(anonymous.status).toBe(401);
    expect((await server.sesam.directory.clients.find('reporter'))!.metadata.client_secret).toBe(secret);
    expect((await clientCredentials(server, 'reporter', secret)).status).toBe(200);
  });
});
