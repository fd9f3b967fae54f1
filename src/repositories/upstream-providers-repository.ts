/**
 * SQL for upstream providers (issue 12). The settings are one JSON document (`config`); the
 * secrets are sealed (AES-256-GCM) in columns of their own, each bound to its provider and its
 * purpose, so a sealed value copied to another row or column does not open there.
 */
import { affectedRows, type Queryable } from '../storage/database.js';
import type { UpstreamProvider } from '../model/upstream-provider.js';
import type { Cipher } from '../secrets/cipher.js';

/** A provider as stored: its record, secrets unsealed, and when it was created and last replaced. */
export interface StoredUpstreamProvider extends UpstreamProvider {
  createdAt: Date;
  updatedAt: Date;
}

/** The associated data each secret is sealed with. */
export const SEAL_CONTEXT = {
  clientSecret: (id: string) => `upstream-provider:${id}:client-secret`,
  privateKey: (id: string) => `upstream-provider:${id}:private-key`,
};

const json = (v: unknown) => (typeof v === 'string' ? JSON.parse(v) : v);

export class UpstreamProvidersRepository {
  constructor(
    private readonly db: Queryable,
    private readonly cipher: Cipher,
  ) {}

  with(db: Queryable): UpstreamProvidersRepository {
    return new UpstreamProvidersRepository(db, this.cipher);
  }

  async list(): Promise<StoredUpstreamProvider[]> {
    return (await this.db('upstream_providers').orderBy('id')).map((r) => this.toProvider(r));
  }

  async find(id: string): Promise<StoredUpstreamProvider | undefined> {
    const r = await this.db('upstream_providers').where({ id }).first();
    return r ? this.toProvider(r) : undefined;
  }

  /** Creates or replaces a provider, secrets included (absent ones are removed). */
  async upsert(p: UpstreamProvider): Promise<StoredUpstreamProvider> {
    const { id, clientSecret, privateKeyJwk, ...config } = p;
    const row = {
      config: JSON.stringify(config),
      client_secret_sealed: clientSecret ? this.cipher.encrypt(clientSecret, SEAL_CONTEXT.clientSecret(id)) : null,
      private_key_sealed: privateKeyJwk ? this.cipher.encrypt(JSON.stringify(privateKeyJwk), SEAL_CONTEXT.privateKey(id)) : null,
    };
    const [r] = await this.db('upstream_providers')
      .insert({ id, ...row })
      .onConflict('id')
      .merge({ ...row, updated_at: new Date() })
      .returning('*');
    return this.toProvider(r);
  }

  /** Deletes a provider; its linked identities go with it (the foreign key cascades). */
  async delete(id: string): Promise<boolean> {
    return affectedRows(await this.db('upstream_providers').where({ id }).delete()) > 0;
  }

  private toProvider(r: any): StoredUpstreamProvider {
    const config = json(r.config) as Omit<UpstreamProvider, 'id' | 'clientSecret' | 'privateKeyJwk'>;
    return {
      ...config,
      id: r.id,
      ...(r.client_secret_sealed ? { clientSecret: this.cipher.decrypt(r.client_secret_sealed, SEAL_CONTEXT.clientSecret(r.id)) } : {}),
      ...(r.private_key_sealed ? { privateKeyJwk: JSON.parse(this.cipher.decrypt(r.private_key_sealed, SEAL_CONTEXT.privateKey(r.id))) as Record<string, unknown> } : {}),
      createdAt: new Date(r.created_at),
      updatedAt: new Date(r.updated_at),
    };
  }
}
