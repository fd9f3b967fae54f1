/** REDIS_URL's three forms, as parsed for the opener and validated by the settings. */
import { describe, expect, it } from '@jest/globals';
import { parseRedisUrl } from '../../src/storage/redis-url.js';
import { loadSettings } from '../../config/settings.js';

describe('REDIS_URL', () => {
  it('leaves one Redis to ioredis', () => {
    expect(parseRedisUrl('redis://127.0.0.1:6379/2')).toEqual({ kind: 'single', url: 'redis://127.0.0.1:6379/2' });
    expect(parseRedisUrl('rediss://:pw@cache.example:6380')).toEqual({ kind: 'single', url: 'rediss://:pw@cache.example:6380' });
  });

  it('reads a cluster’s seed nodes, credentials and TLS', () => {
    expect(parseRedisUrl('redis+cluster://10.0.0.1:7000,10.0.0.2:7001,node-3')).toEqual({
      kind: 'cluster',
      tls: false,
      nodes: [
        { host: '10.0.0.1', port: 7000 },
        { host: '10.0.0.2', port: 7001 },
        { host: 'node-3', port: 6379 },
      ],
    });
    expect(parseRedisUrl('rediss+cluster://sesam:p%40ss@[::1]:7000/')).toEqual({
      kind: 'cluster',
      tls: true,
      username: 'sesam',
      password: 'p@ss',
      nodes: [{ host: '::1', port: 7000 }],
    });
  });

  it('reads a sentinel set, its master name and an optional sentinel password', () => {
    expect(parseRedisUrl('redis+sentinel://:secret@s1:26380,s2/mymaster?sentinelPassword=sp')).toEqual({
      kind: 'sentinel',
      tls: false,
      password: 'secret',
      sentinelPassword: 'sp',
      name: 'mymaster',
      sentinels: [
        { host: 's1', port: 26380 },
        { host: 's2', port: 26379 },
      ],
    });
  });

  it.each([
    ['memcached://x', /must be a URL \(redis:\/\/, rediss:\/\/, redis\+cluster/],
    ['redis+cluster://h1:7000,,h2:7001', /"" is not host:port/],
    ['redis+cluster://h1:99999', /"h1:99999" is not host:port/],
    ['redis+cluster://:hunter2@h1:7000/3', /takes no path/],
    ['redis+cluster://h1:7000?x=1', /takes no query parameters/],
    ['redis+sentinel://s1:26379', /must end with \/<master name>/],
    ['redis+sentinel://s1:26379/m?db=2', /unknown query parameter db/],
    ['redis+sentinel://s1:26379/%zz', /malformed %-escape/],
  ])('refuses %s in one line naming the setting, the password never shown', (value, message) => {
    expect(() => parseRedisUrl(value)).toThrow(message);
    expect(() => loadSettings({ REDIS_URL: value })).toThrow(/^Invalid setting REDIS_URL: [^\n]+$/);
    expect(() => loadSettings({ REDIS_URL: value })).toThrow(message);
    expect(() => loadSettings({ REDIS_URL: value })).not.toThrow(/hunter2/);
  });

  it('keeps every form as the setting', () => {
    for (const url of ['redis://127.0.0.1:6379', 'redis+cluster://a:1,b:2', 'rediss+sentinel://a/m']) expect(loadSettings({ REDIS_URL: url }).redisUrl).toBe(url);
  });
});
