/**
 * The two scripts passkey pages load, served by Sesam itself (no CDN: the pages' CSP allows only
 * scripts carrying their nonce, from here): SimpleWebAuthn's browser bundle, and ours.
 */
import fs from 'node:fs';
import path from 'node:path';
import crypto from 'node:crypto';
import { createRequire } from 'node:module';
import type Router from '@koa/router';
import { PASSKEY_SCRIPT } from './views/passkey.js';

const require = createRequire(import.meta.url);

function simpleWebAuthnBundle(): string {
  // The package exports only its modules; its UMD bundle sits beside them.
  const entry = require.resolve('@simplewebauthn/browser');
  const root = entry.slice(0, entry.lastIndexOf(`${path.sep}script${path.sep}`));
  return fs.readFileSync(path.join(root, 'dist', 'bundle', 'index.umd.min.js'), 'utf8');
}

export function serveAssets(router: Router): void {
  const files: Record<string, string> = { 'webauthn.js': simpleWebAuthnBundle(), 'passkey.js': PASSKEY_SCRIPT };
  const etags = Object.fromEntries(Object.entries(files).map(([name, body]) => [name, `"${crypto.createHash('sha256').update(body).digest('base64url').slice(0, 16)}"`]));
  router.get('/assets/:file', (ctx) => {
    const body = Object.hasOwn(files, ctx.params.file) ? files[ctx.params.file] : undefined;
    if (body === undefined) return;
    ctx.set('Cache-Control', 'public, max-age=3600');
    ctx.set('ETag', etags[ctx.params.file]);
    if (ctx.get('if-none-match') === etags[ctx.params.file]) {
      ctx.status = 304;
      return;
    }
    ctx.type = 'application/javascript; charset=utf-8';
    ctx.body = body;
  });
}
