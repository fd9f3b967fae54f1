/** The Sesam server the CLI talks to: SESAM_URL, else ISSUER, else http://localhost:$PORT (3000). */
import { CliError } from './errors.js';

export function serverUrl(env: NodeJS.ProcessEnv): string {
  const raw = env.SESAM_URL || env.ISSUER || `http://localhost:${env.PORT || 3000}`;
  try {
    const url = new URL(raw);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error();
  } catch {
    throw new CliError(`SESAM_URL ${raw} is not an http(s) URL`);
  }
  return raw.replace(/\/+$/, '');
}
