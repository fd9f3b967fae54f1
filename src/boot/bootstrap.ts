/**
 * What a start writes into the directory before it serves: the bootstrap admin client, through
 * which the operator CLI reaches the admin API, and the declarative import file (SESAM_IMPORT),
 * applied in one transaction. Both are idempotent, so every instance of a deployment may run
 * them at every start. A bad import file stops the start with a `StartupError`, a message for
 * the operator naming the bad entry (main.ts prints it and exits with 3).
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Settings } from '../../config/settings.js';
import type { Logger } from '../logger.js';
import type { Directory } from '../domain/directory.js';
import { randomSecret } from '../repositories/secrets-repository.js';
import { importFileSchema, describeZodError } from '../domain/schemas.js';

/** A problem that stops the server at start, with a message for the operator. */
export class StartupError extends Error {
  override name = 'StartupError';
}

/**
 * The bootstrap admin client (client_credentials, scope `admin`): its secret comes from
 * SESAM_ADMIN_CLIENT_SECRET, else it is the deployment's, kept sealed in the database and copied
 * into the data folder (admin-client.json, mode 0600) where the CLI finds it; generated only when
 * the database has none. Only SESAM_ADMIN_CLIENT_SECRET changes an existing secret: an instance
 * with a data folder of its own (a second instance, a stale file) takes the deployment's.
 */
export async function bootstrapAdminClient(settings: Settings, directory: Directory, logger: Logger): Promise<{ clientId: string; clientSecret: string }> {
  const file = path.join(settings.dataDir, 'admin-client.json');
  const stored = async () => {
    const secret = (await directory.clients.find(settings.adminClientId))?.metadata.client_secret;
    return typeof secret === 'string' && secret ? secret : undefined;
  };
  let clientSecret = settings.adminClientSecret;
  let existing = await stored();
  if (!clientSecret || clientSecret !== existing) {
    if (!clientSecret) clientSecret = existing ?? readSavedSecret(file, settings.adminClientId) ?? randomSecret();
    if (clientSecret !== existing) {
      await directory.putClient({
        client_id: settings.adminClientId,
        client_secret: clientSecret,
        client_name: 'Sesam administration',
        grant_types: ['client_credentials'],
        redirect_uris: [],
        scope: 'admin',
        token_endpoint_auth_method: 'client_secret_basic',
      });
      // Two instances starting together on an empty database: the last write holds, both take it.
      existing = await stored();
      if (!settings.adminClientSecret && existing) clientSecret = existing;
    }
  }
  if (!settings.adminClientSecret && readSavedSecret(file, settings.adminClientId) !== clientSecret) {
    fs.mkdirSync(settings.dataDir, { recursive: true });
    fs.writeFileSync(file, JSON.stringify({ issuer: settings.issuer, client_id: settings.adminClientId, client_secret: clientSecret }, null, 2), { mode: 0o600 });
    logger.info({ file }, 'wrote the bootstrap admin client secret');
  }
  return { clientId: settings.adminClientId, clientSecret };
}

function readSavedSecret(file: string, clientId: string): string | undefined {
  try {
    const saved = JSON.parse(fs.readFileSync(file, 'utf8')) as { client_id?: unknown; client_secret?: unknown };
    return saved.client_id === clientId && typeof saved.client_secret === 'string' ? saved.client_secret : undefined;
  } catch {
    return undefined; // first start
  }
}

/** Applies the import file in one transaction, or stops the start with a message naming the bad entry. */
export async function applyImportFile(file: string, directory: Directory, logger: Logger): Promise<void> {
  let raw: unknown;
  try {
    raw = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (e) {
    throw new StartupError(`SESAM_IMPORT ${file}: ${(e as Error).message}`);
  }
  const parsed = importFileSchema.safeParse(raw);
  if (!parsed.success) throw new StartupError(`SESAM_IMPORT ${file}: ${describeZodError(parsed.error)}; nothing was applied`);
  try {
    const summary = await directory.applyImport(parsed.data);
    logger.info({ file, ...summary }, 'import applied');
  } catch (e) {
    if ((e as Error).name === 'DirectoryError') throw new StartupError(`SESAM_IMPORT ${file}: ${(e as Error).message}; nothing was applied`);
    throw e;
  }
}
