/**
 * The declarative import file (SESAM_IMPORT), on the embedded database and on PostgreSQL: it
 * creates tenants, users and clients; applying it again (a restart, or applyImport) changes
 * nothing; a malformed file stops the start with a message naming the bad entry and leaves
 * nothing of the file applied.
 */
import { afterAll, describe, expect, it } from '@jest/globals';
import fs from 'node:fs';
import path from 'node:path';
import knexFactory from 'knex';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { createEmbeddedDatabase, createPostgresDatabase, PG_ADMIN_URL, tmpDir } from '../helpers/stores.js';
import { importFileSchema } from '../../src/domain/schemas.js';
import type { Database } from '../../src/storage/database.js';

const JOBTRACKER_SECRET = 'jobtracker-secret-0123456789abcdef-xyz';

const goodFile = {
  tenants: [
    { id: 'acme', name: 'Acme Titres-Services', policy: { lockout: { threshold: 3, mode: 'permanent' }, contact: 'Acme HR', locale: 'fr' } },
    { id: 'beta', name: 'Fiduciaire Beta', policy: { mfa: 'optional', lockout: { threshold: 5, mode: 'temporary', baseMinutes: 5 } } },
  ],
  users: [
    { login: 'marie', email: 'Marie@Example.be', password: 'initial-password-1', phone: '0470 12 34 56', tenants: ['acme', { id: 'beta', role: 'admin' }] },
    { login: 'jan', email: 'jan@example.be', password: 'initial-password-2', mustChangePassword: false, tenants: ['beta'] },
  ],
  clients: [
    { client_id: 'jobtracker', client_secret: JOBTRACKER_SECRET, redirect_uris: ['https://jobs.example/cb'], post_logout_redirect_uris: ['https://jobs.example/'], tenants: ['acme'], first_party: true },
    { client_id: 'spa', redirect_uris: ['https://spa.example/cb'] },
  ],
};

/** Everything the import writes, and the events it records. */
async function snapshot(db: Database) {
  const events = await db('events').select('type').count('* as n').groupBy('type').orderBy('type');
  return {
    tenants: await db('tenants').select('id', 'name', 'policy', 'created_at').orderBy('id'),
    users: await db('users').select('*').orderBy('login'),
    memberships: await db('memberships').select('*').orderBy(['user_id', 'tenant_id']),
    // The portal's own client follows the issuer, which a restarted test server changes (its port).
    clients: await db('clients').whereNot('client_id', 'sesam-account').select('client_id', 'metadata', 'first_party', 'tenants', 'created_at').orderBy('client_id'),
    events: events.map((e) => `${e.type}=${e.n}`),
  };
}

async function dropPostgres(url: string | undefined) {
  if (!url) return;
  const admin = knexFactory({ client: 'pg', connection: PG_ADMIN_URL, pool: { min: 0, max: 1 } });
  await admin.raw(`drop database if exists ${new URL(url).pathname.slice(1)} with (force)`);
  await admin.destroy();
}

describe.each(['embedded', 'postgres'] as const)('import file (%s)', (backend) => {
  const cleanup: (() => Promise<void>)[] = [];
  afterAll(async () => {
    for (const step of cleanup.reverse()) await step().catch(() => undefined);
  });

  it('creates tenants, users and clients; applying the same file again changes nothing', async () => {
    const first = await startTestServer({ backend, import: goodFile });
    cleanup.push(() => dropPostgres(first.databaseUrl));
    let second: TestServer | undefined;
    try {
      const { db, directory } = first.sesam;
      const before = await snapshot(db);
      expect(before.tenants.map((t) => t.id)).toEqual(['acme', 'beta']);
      expect((await directory.requireTenant('beta')).policy).toMatchObject({ mfa: 'optional', lockout: { threshold: 5, mode: 'temporary' } });
      const marie = await directory.requireUser('marie@example.be');
      expect(marie).toMatchObject({ login: 'marie', email: 'marie@example.be', phone: '+32470123456', mustChangePassword: true });
      expect(marie.passwordHash).toMatch(/^\$argon2id\$/);
      expect((await directory.users.memberships(marie.id)).map((m) => `${m.tenantId}:${m.role}`).sort()).toEqual(['acme:member', 'beta:admin']);
      expect((await directory.requireUser('jan')).mustChangePassword).toBe(false);
      const jobtracker = await directory.clients.find('jobtracker');
      expect(jobtracker).toMatchObject({ firstParty: true, tenants: ['acme'], metadata: { client_secret: JOBTRACKER_SECRET, redirect_uris: ['https://jobs.example/cb'] } });
      expect((await directory.clients.find('spa'))!.metadata.token_endpoint_auth_method).toBe('none');
      expect(before.events).toContain('admin.user_created=2');

      // A restart on the same data with the same file.
      await first.stop({ keepData: true });
      second = await startTestServer({ backend, reuse: { dataDir: first.dataDir, databaseUrl: first.databaseUrl }, import: goodFile });
      const after = await snapshot(second.sesam.db);
      expect(after).toEqual(before);
      expect((await second.sesam.directory.requireUser('marie')).passwordHash).toBe(marie.passwordHash);

      // And once more, directly.
      const summary = await second.sesam.directory.applyImport(importFileSchema.parse(goodFile));
      expect(summary).toMatchObject({ usersCreated: 0, usersUpdated: 0 });
      expect(await snapshot(second.sesam.db)).toEqual(before);

      // A file that goes wrong half-way is rolled back as a whole, on this backend too.
      const halfBad = importFileSchema.parse({
        tenants: [{ id: 'gamma', name: 'Gamma' }],
        users: [{ login: 'piet', tenants: ['gamma'] }, { login: 'els', tenants: ['ghost'] }],
      });
      await expect(second.sesam.directory.applyImport(halfBad)).rejects.toThrow(/users\[1\].*ghost/);
      expect(await second.sesam.directory.tenants.find('gamma')).toBeUndefined();
      expect(await second.sesam.directory.users.findByIdentifier('piet')).toBeUndefined();
      expect(await snapshot(second.sesam.db)).toEqual(before);
    } finally {
      await (second ?? first).stop().catch(() => undefined);
    }
  });

  it('stops the start on an entry that refers to an unknown tenant after valid ones, naming it, and applies nothing', async () => {
    const bad = {
      tenants: [{ id: 't-one', name: 'One' }, { id: 't-two', name: 'Two' }],
      users: [
        { login: 'valid', password: 'initial-password-1', tenants: ['t-one'] },
        { login: 'broken', tenants: ['t-one', 'ghost'] },
      ],
      clients: [{ client_id: 'later', redirect_uris: ['https://later.example/cb'], tenants: ['t-two'] }],
    };
    if (backend === 'embedded') {
      // The embedded database of a failed start stays open in this process, so it is not
      // opened a second time to look inside: the rollback on this backend is checked above.
      const embedded = await createEmbeddedDatabase();
      await embedded.db.destroy();
      cleanup.push(async () => fs.rmSync(embedded.dataDir, { recursive: true, force: true }));
      await expect(startTestServer({ backend, reuse: { dataDir: embedded.dataDir }, import: bad })).rejects.toThrow(
        /SESAM_IMPORT .*users\[1\] \(broken\): tenant ghost does not exist; nothing was applied/,
      );
      return;
    }
    const pg = await createPostgresDatabase();
    cleanup.push(() => pg.drop());
    const dataDir = tmpDir();
    cleanup.push(async () => fs.rmSync(dataDir, { recursive: true, force: true }));
    await expect(startTestServer({ backend, reuse: { dataDir, databaseUrl: pg.url }, import: bad })).rejects.toThrow(/users\[1\] \(broken\).*ghost/);
    expect(await pg.db('tenants').select('id')).toEqual([]);
    expect(await pg.db('users').select('login')).toEqual([]);
    expect(await pg.db('clients').whereNotIn('client_id', ['sesam-admin', 'sesam-account', 'sesam-cli']).select('client_id')).toEqual([]);
    expect(Number((await pg.db('events').where({ type: 'admin.user_created' }).count('* as n'))[0].n)).toBe(0);
  });

  if (backend === 'postgres') {
    it('stops the start on a file that is not JSON, or has an unknown key, naming it, and applies nothing', async () => {
      const pg = await createPostgresDatabase();
      cleanup.push(() => pg.drop());
      const dataDir = tmpDir();
      cleanup.push(async () => fs.rmSync(dataDir, { recursive: true, force: true }));
      const reuse = { dataDir, databaseUrl: pg.url };

      const notJson = path.join(dataDir, 'broken.json');
      fs.writeFileSync(notJson, '{ "tenants": [ { "id": "acme", "name": "Acme" } ');
      await expect(startTestServer({ backend, reuse, env: { SESAM_IMPORT: notJson } })).rejects.toThrow(/SESAM_IMPORT .*broken\.json: .*JSON/);

      const unknownKey = { tenants: [{ id: 'acme', name: 'Acme' }], users: [{ login: 'ok' }, { login: 'x', nickname: 'X' }] };
      await expect(startTestServer({ backend, reuse, import: unknownKey })).rejects.toThrow(/users\.1: .*nickname.*nothing was applied/);

      // A policy naming a method Sesam does not know would let a tenant believe it required it.
      const unknownMethod = { tenants: [{ id: 'acme', name: 'Acme', policy: { mfa: 'required', methods: ['totp', 'email'] } }] };
      await expect(startTestServer({ backend, reuse, import: unknownMethod })).rejects.toThrow(/tenants\.0\.policy\.methods\.1: .*nothing was applied/);
      const unknownDeviceRule = { tenants: [{ id: 'acme', name: 'Acme', policy: { lockout: { trustedDevices: 'lenient' } } }] };
      await expect(startTestServer({ backend, reuse, import: unknownDeviceRule })).rejects.toThrow(/tenants\.0\.policy\.lockout\.trustedDevices/);

      expect(await pg.db('tenants').select('id')).toEqual([]);
      expect(await pg.db('users').select('login')).toEqual([]);
    });
  }
});
