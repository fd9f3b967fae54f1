/**
 * The admin API's OpenAPI document, generated from the route table: it validates as OpenAPI 3.1,
 * it lists exactly the routes the Koa router serves, every operation it protects refuses a request
 * without a token, and a body or query that breaks a schema of the table gets a JSON 400 naming the field.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Validator } from '@seriousme/openapi-schema-validator';
import { startTestServer, adminToken, type TestServer } from '../helpers/server.js';
import { adminRouter } from '../../src/admin/router.js';
import type { AdminRouterDeps } from '../../src/admin/route-types.js';

interface Operation {
  operationId?: string;
  security?: Record<string, string[]>[];
  responses: Record<string, unknown>;
}
interface Doc {
  openapi: string;
  paths: Record<string, Record<string, Operation>>;
}

describe('admin OpenAPI document (PostgreSQL + Redis)', () => {
  let server: TestServer;
  let token: string;
  let doc: Doc;

  beforeAll(async () => {
    server = await startTestServer({ backend: 'postgres', redis: true });
    token = await adminToken(server);
    const res = await fetch(`${server.url}/admin/openapi.json`);
    expect(res.status).toBe(200);
    doc = (await res.json()) as Doc;
  });
  afterAll(async () => {
    await server?.stop();
  });

  async function api(method: string, path: string, body?: unknown): Promise<{ status: number; body: { error?: string; error_description?: string } }> {
    const res = await fetch(`${server.url}/admin${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    return { status: res.status, body: (await res.json()) as { error?: string; error_description?: string } };
  }

  it('validates as OpenAPI 3.1', async () => {
    const validator = new Validator();
    const result = await validator.validate(doc as unknown as Record<string, unknown>);
    expect(result.errors).toBeUndefined();
    expect(result.valid).toBe(true);
    expect(validator.version).toBe('3.1');
  });

  it('finds an invalid document invalid (the validator is not a rubber stamp)', async () => {
    const broken = structuredClone(doc) as unknown as { paths: Record<string, Record<string, { responses: unknown }>> };
    broken.paths['/admin/v1/tenants'].get.responses = 'none';
    expect((await new Validator().validate(broken)).valid).toBe(false);
  });

  it('documents every route the router serves under /admin/v1, and serves every documented one', () => {
    const router = adminRouter({ issuer: server.issuer } as AdminRouterDeps);
    const served = new Set<string>();
    for (const layer of router.stack) {
      const path = String(layer.path);
      if (!path.startsWith('/admin/v1/')) continue;
      for (const method of layer.methods) if (method !== 'HEAD') served.add(`${method.toLowerCase()} ${path.replace(/:(\w+)/g, '{$1}')}`);
    }
    const documented = new Set<string>();
    for (const [path, item] of Object.entries(doc.paths)) {
      if (!path.startsWith('/admin/v1/')) continue;
      for (const method of Object.keys(item)) if (['get', 'post', 'put', 'patch', 'delete'].includes(method)) documented.add(`${method} ${path}`);
    }
    expect(served.size).toBeGreaterThan(25);
    expect([...served].sort()).toEqual([...documented].sort());
  });

  it('requires the admin scope (or, under /tenants/{id}, the tenant-admin one) on every /admin/v1 operation, and the router refuses each one without a token', async () => {
    const tenantAdminOps: string[] = [];
    for (const [path, item] of Object.entries(doc.paths)) {
      if (!path.startsWith('/admin/v1/')) continue;
      for (const [method, op] of Object.entries(item)) {
        const security = op.security as Record<string, string[]>[];
        expect(security[0]).toEqual({ adminClientCredentials: ['admin'] });
        if (security.length > 1) {
          expect(security).toEqual([{ adminClientCredentials: ['admin'] }, { tenantAdminSignIn: ['tenant-admin'] }]);
          expect(path.startsWith('/admin/v1/tenants/{id}')).toBe(true);
          tenantAdminOps.push(String(op.operationId));
        }
        expect(op.responses).toHaveProperty('401');
        const url = `${server.url}${path.replace(/\{\w+\}/g, 'x')}`;
        const res = await fetch(url, { method: method.toUpperCase() });
        expect([method, path, res.status]).toEqual([method, path, 401]);
      }
    }
    // What a tenant admin may call: their tenant, its members and events; not the tenant's deletion or replacement.
    expect(tenantAdminOps.sort()).toEqual(
      [
        'getTenant', 'patchTenantPolicy', 'listTenantAudit', 'listTenantEvents', 'listMembers', 'createMember', 'getMember', 'removeMember',
        'unlockMember', 'resetMemberPassword', 'resetMemberSecondFactors', 'disableMember', 'enableMember', 'setMemberPhone', 'setMemberRole',
      ].sort(),
    );
  });

  it('answers a body that breaks the schema with a 400 JSON error naming the field', async () => {
    const badLogin = await api('POST', '/v1/users', { login: 'has space' });
    expect(badLogin).toEqual({ status: 400, body: { error: 'invalid_request', error_description: 'login: must not contain spaces' } });

    const badTenant = await api('POST', '/v1/tenants', { id: 'Not Valid', name: 'x' });
    expect(badTenant.status).toBe(400);
    expect(badTenant.body.error_description).toMatch(/^id: /);

    const unknownField = await api('POST', '/v1/tenants', { id: 'acme', name: 'Acme', colour: 'red' });
    expect(unknownField.status).toBe(400);
    expect(unknownField.body.error_description).toContain('colour');

    const longNotice = await api('PUT', '/v1/clients/nobody/notice', { en: 'x'.repeat(501) });
    expect(longNotice.status).toBe(400);
    expect(longNotice.body.error_description).toMatch(/^notice\.en: /);

    const notObject = await api('PUT', '/v1/tenants/acme', ['a']);
    expect(notObject).toEqual({ status: 400, body: { error: 'invalid_request', error_description: 'body: must be a JSON object' } });

    const mismatch = await api('PUT', '/v1/tenants/acme', { id: 'other', name: 'Acme' });
    expect(mismatch.body.error_description).toBe('id: does not match the path (acme)');

    const password = await api('PATCH', '/v1/users/nobody', { password: 'secret' });
    expect(password.status).toBe(400);
    expect(password.body.error_description).toMatch(/^password: cannot be changed here/);

    const badQuery = await api('GET', '/v1/users?limit=0');
    expect(badQuery.status).toBe(400);
    expect(badQuery.body.error_description).toMatch(/^limit: /);

    // Nothing was created by the refused requests.
    expect((await api('GET', '/v1/tenants/acme')).status).toBe(404);
  });
});
