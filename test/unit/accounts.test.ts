/** The claims the engine gets for a user: phone_number_verified says whether an SMS code proved the number. */
import { describe, expect, it } from '@jest/globals';
import type { KoaContextWithOIDC } from 'oidc-provider';
import { findAccountFunction } from '../../src/oidc/accounts.js';
import type { UsersRepository } from '../../src/repositories/users-repository.js';
import type { KeyValueStore } from '../../src/storage/kv.js';
import type { User } from '../../src/model/types.js';

const base: User = {
  id: '4b0c2c6e-0000-4000-8000-000000000001',
  login: 'marie',
  email: null,
  name: null,
  passwordHash: null,
  mustChangePassword: false,
  phone: null,
  phoneVerifiedAt: null,
  preferredFactor: null,
  locale: null,
  disabled: false,
  failedAttempts: 0,
  lockouts: 0,
  lockedUntil: null,
  locked: false,
  passwordChangedAt: null,
  createdAt: new Date(),
} as User;

async function claimsOf(user: User) {
  const users = { findById: async () => user } as unknown as UsersRepository;
  const kv = {} as KeyValueStore; // no grant: never read
  const ctx = { oidc: {} } as unknown as KoaContextWithOIDC;
  const account = await findAccountFunction(users, kv)(ctx, user.id);
  return account!.claims('userinfo', 'openid phone', {}, []);
}

describe('account claims', () => {
  it('phone_number_verified is true only when an SMS code proved the number', async () => {
    expect(await claimsOf({ ...base, phone: '+32470123456', phoneVerifiedAt: new Date() })).toMatchObject({ phone_number: '+32470123456', phone_number_verified: true });
    // set by an admin or an import, never proven (a changed number loses its proof: users-repository)
    expect(await claimsOf({ ...base, phone: '+32470123456', phoneVerifiedAt: null })).toMatchObject({ phone_number: '+32470123456', phone_number_verified: false });
    const none = await claimsOf(base);
    expect(none.phone_number).toBeUndefined();
    expect(none.phone_number_verified).toBeUndefined();
  });
});
