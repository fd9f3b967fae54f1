/**
 * What `REDIS_URL` names: one Redis (`redis://`, `rediss://`, read by ioredis itself), a Redis
 * Cluster (`redis+cluster://host:port,host:port`, its seed nodes) or a Sentinel set
 * (`redis+sentinel://host:port,host:port/<master name>`). One variable keeps DESIGN.md's
 * environment as it is; WHATWG URL cannot parse a host list, hence this small parser. Errors are
 * one phrase, completed by config/settings.ts into its one-line message.
 */

export interface RedisNode {
  host: string;
  port: number;
}

interface Credentials {
  username?: string;
  password?: string;
  /** `rediss+…`: TLS to every node (and, for Sentinel, to the sentinels too). */
  tls: boolean;
}

export type RedisTarget =
  | { kind: 'single'; url: string }
  | ({ kind: 'cluster'; nodes: RedisNode[] } & Credentials)
  | ({ kind: 'sentinel'; sentinels: RedisNode[]; name: string; sentinelPassword?: string } & Credentials);

export class RedisUrlError extends Error {}

const FORMS = 'redis://, rediss://, redis+cluster://host:port,… or redis+sentinel://host:port,…/master';

export function parseRedisUrl(value: string): RedisTarget {
  const scheme = /^([a-z+]+):\/\//i.exec(value)?.[1]?.toLowerCase();
  if (scheme === 'redis' || scheme === 'rediss') {
    try {
      new URL(value);
    } catch {
      throw new RedisUrlError(`must be a URL (${FORMS})`);
    }
    return { kind: 'single', url: value };
  }
  const match = /^(rediss?)\+(cluster|sentinel):\/\/(?:([^@/?#]*)@)?([^/?#]*)(\/[^?#]*)?(\?[^#]*)?$/i.exec(value);
  if (!match) throw new RedisUrlError(`must be a URL (${FORMS})`);
  const [, base, kind, userinfo, hostList, path = '', query = ''] = match;
  const credentials: Credentials = { tls: base.toLowerCase() === 'rediss', ...parseUserinfo(userinfo) };
  const nodes = hostList.split(',').map((h) => parseNode(h, kind.toLowerCase() === 'sentinel' ? 26379 : 6379));
  const params = new URLSearchParams(query);
  if (kind.toLowerCase() === 'cluster') {
    // A cluster has one database (0) and no master name: a path would be a mistake worth naming.
    if (path !== '' && path !== '/') throw new RedisUrlError('a redis+cluster URL takes no path (a cluster has no database number)');
    if ([...params.keys()].length) throw new RedisUrlError('a redis+cluster URL takes no query parameters');
    return { kind: 'cluster', nodes, ...credentials };
  }
  const name = decode(path.replace(/^\//, ''));
  if (!/^[\w.-]+$/.test(name)) throw new RedisUrlError('a redis+sentinel URL must end with /<master name> (letters, digits, dots, dashes or underscores)');
  const unknown = [...params.keys()].filter((k) => k !== 'sentinelPassword');
  if (unknown.length) throw new RedisUrlError(`unknown query parameter ${unknown[0]} (only sentinelPassword)`);
  const sentinelPassword = params.get('sentinelPassword') ?? undefined;
  return { kind: 'sentinel', sentinels: nodes, name, ...credentials, ...(sentinelPassword ? { sentinelPassword } : {}) };
}

function parseUserinfo(userinfo: string | undefined): { username?: string; password?: string } {
  if (!userinfo) return {};
  const colon = userinfo.indexOf(':');
  const username = decode(colon < 0 ? userinfo : userinfo.slice(0, colon));
  const password = colon < 0 ? undefined : decode(userinfo.slice(colon + 1));
  // `redis://:secret@host` (no user) is the usual form: the `default` user then.
  return { ...(username ? { username } : {}), ...(password ? { password } : {}) };
}

/** `host`, `host:port` or `[v6]:port`. */
function parseNode(text: string, defaultPort: number): RedisNode {
  const m = /^(?:\[([0-9a-f:.]+)\]|([\w.-]+))(?::(\d{1,5}))?$/i.exec(text.trim());
  const port = m?.[3] === undefined ? defaultPort : Number(m[3]);
  if (!m || port < 1 || port > 65535) throw new RedisUrlError(`"${text}" is not host:port (hosts are comma-separated)`);
  return { host: m[1] ?? m[2], port };
}

function decode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    throw new RedisUrlError('has a malformed %-escape');
  }
}
