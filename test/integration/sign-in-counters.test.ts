/**
 * What a complete sign-in does to the account's counters, through the journey on PostgreSQL +
 * Redis: the count of temporary locks (which sets how long the next lock lasts) starts again from
 * zero, and the wrong-password count too. The journey spares these writes when it read the
 * counters at zero in the same request, so both sides are checked: a count left by earlier locks
 * goes, and a sign-in of an account with none leaves it at zero.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { relyingParty } from '../helpers/browser.js';
import { JourneyClient } from '../helpers/journey-client.js';

const PASSWORD = 'a sentence that is long enough';
const SECRET = 'counters-app-secret-0123456789abcdef-0123';
const REDIRECT = 'http://localhost:4997/cb';

describe('counters after a complete sign-in', () => {
  let server: TestServer;

  beforeAll(async () => {
    server = await startTestServer({
      backend: 'postgres',
      redis: true,
      import: {
        tenants: [{ id: 'temp', name: 'Temp', policy: { lockout: { threshold: 3, mode: 'temporary', baseMinutes: 1 } } }],
        users: [
          { login: 'lena', password: PASSWORD, mustChangePassword: false, tenants: ['temp'] },
          { login: 'omar', password: PASSWORD, mustChangePassword: false, tenants: ['temp'] },
        ],
        clients: [{ client_id: 'app', client_secret: SECRET, redirect_uris: [REDIRECT], tenants: ['temp'], first_party: true }],
      },
    });
  });
  afterAll(async () => {
    await server?.stop();
  });

  const counters = async (login: string) => (await server.sesam.db('users').where({ login }).first('lockouts', 'failed_attempts')) as { lockouts: number; failed_attempts: number };

  const signIn = async (login: string) => {
    const rp = await relyingParty(server.url, 'app', SECRET, REDIRECT);
    const journey = new JourneyClient(server.url, rp);
    await journey.signIn(login, PASSWORD);
    expect(journey.callback?.searchParams.get('code')).toBeTruthy();
  };

  it('forgets the temporary locks an account had, once it signs in completely', async () => {
    // Two locks that ran out, and one wrong password since.
    await server.sesam.db('users').where({ login: 'lena' }).update({ lockouts: 2, failed_attempts: 1 });
    await signIn('lena');
    expect(await counters('lena')).toEqual({ lockouts: 0, failed_attempts: 0 });
  });

  it('leaves an account without locks at zero', async () => {
    await signIn('omar');
    await signIn('omar');
    expect(await counters('omar')).toEqual({ lockouts: 0, failed_attempts: 0 });
  });
});
