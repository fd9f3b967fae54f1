/** Account rows on real PostgreSQL: identifiers, and a changed phone number proven again (seed 000). */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createPostgresDatabase, type TestDatabase } from '../helpers/stores.js';
import { UsersRepository } from '../../src/repositories/users-repository.js';

describe('users repository (PostgreSQL)', () => {
  let t: TestDatabase;
  let users: UsersRepository;
  beforeAll(async () => {
    t = await createPostgresDatabase();
    users = new UsersRepository(t.db);
  });
  afterAll(async () => t.drop());

  it('finds a user by login or e-mail, case-insensitively', async () => {
    const u = await users.insert({ login: 'Sophie', email: 'Sophie@Example.BE' });
    expect((await users.findByIdentifier('SOPHIE'))?.id).toBe(u.id);
    expect((await users.findByIdentifier(' sophie@example.be '))?.id).toBe(u.id);
    expect(await users.findByIdentifier('nobody')).toBeUndefined();
    expect(await users.findById('not-a-uuid')).toBeUndefined();
  });

  it('keeps the proof of an unchanged phone number and drops it when the number changes', async () => {
    const u = await users.insert({ login: 'tom', phone: '+32470111111' });
    const proven = new Date();
    await users.update(u.id, { phoneVerifiedAt: proven });
    expect((await users.update(u.id, { phone: '+32470111111', name: 'Tom' }))!.phoneVerifiedAt).not.toBeNull();
    const changed = await users.update(u.id, { phone: '+32470222222' });
    expect(changed!.phone).toBe('+32470222222');
    expect(changed!.phoneVerifiedAt).toBeNull();
  });
});
