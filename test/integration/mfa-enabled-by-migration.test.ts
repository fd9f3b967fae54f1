/**
 * Migration 008 on PostgreSQL and on embedded PGlite: accounts that already had a second factor
 * are told apart the only way left (a member of a tenant requiring it set it up because it was
 * required; anyone else chose it), accounts without one stay null, anything but 'user' or
 * 'required' is refused, and the way back drops the column.
 */
import { describe, expect, it } from '@jest/globals';
import crypto from 'node:crypto';
import { createEmbeddedDatabase, createPostgresDatabase, type TestDatabase } from '../helpers/stores.js';
import { migrationSource } from '../../src/storage/migrate.js';

describe.each([
  { name: 'PostgreSQL', open: () => createPostgresDatabase({ migrate: false }) },
  { name: 'embedded PGlite', open: () => createEmbeddedDatabase({ migrate: false }) },
])('migration 008 (who switched two-step verification on) on $name', ({ open }) => {
  it('backfills the accounts that have a second factor, and only those', async () => {
    const tdb: TestDatabase = await open();
    const { db } = tdb;
    try {
      const source = migrationSource();
      for (let i = 0; i < 7; i++) await db.migrate.up({ migrationSource: source });
      await db('tenants').insert([
        { id: 'strict', name: 'Strict', policy: JSON.stringify({ mfa: 'required' }) },
        { id: 'opt', name: 'Optional', policy: JSON.stringify({ mfa: 'optional' }) },
      ]);
      const id = () => crypto.randomUUID();
      const users = { required: id(), chosen: id(), app: id(), unproven: id(), none: id() };
      await db('users').insert([
        { id: users.required, login: 'required', phone: '+32470000001', phone_verified_at: new Date() },
        { id: users.chosen, login: 'chosen', phone: '+32470000002', phone_verified_at: new Date() },
        { id: users.app, login: 'app' },
        { id: users.unproven, login: 'unproven', phone: '+32470000003' },
        { id: users.none, login: 'none' },
      ]);
      await db('memberships').insert([
        { user_id: users.required, tenant_id: 'strict', role: 'member' },
        { user_id: users.required, tenant_id: 'opt', role: 'member' },
        { user_id: users.chosen, tenant_id: 'opt', role: 'member' },
        { user_id: users.unproven, tenant_id: 'strict', role: 'member' },
      ]);
      await db('totp_factors').insert({ user_id: users.app, secret_encrypted: 'v1.x.y.z', confirmed_at: new Date() });

      await db.migrate.up({ migrationSource: source });
      const by = async (userId: string) => (await db('users').where({ id: userId }).first()).mfa_enabled_by;
      expect(await by(users.required)).toBe('required');
      expect(await by(users.chosen)).toBe('user');
      expect(await by(users.app)).toBe('user');
      expect(await by(users.unproven)).toBeNull();
      expect(await by(users.none)).toBeNull();
      await expect(db('users').where({ id: users.none }).update({ mfa_enabled_by: 'admin' })).rejects.toThrow();

      await db.migrate.down({ migrationSource: source });
      expect((await db('users').columnInfo()).mfa_enabled_by).toBeUndefined();
    } finally {
      await tdb.drop();
    }
  });
});
