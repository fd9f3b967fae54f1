/**
 * SQL for registered client applications. The engine compares client secrets in clear, so
 * they cannot be hashed; with a cipher they are stored sealed (AES-256-GCM, bound to the
 * client id) in their own column, never in the metadata JSON.
 */
import { affectedRows, type Queryable } from '../storage/database.js';
import type { ClientRecord } from '../model/types.js';
import type { Cipher } from '../secrets/cipher.js';

const json = (v: unknown) => (typeof v === 'string' ? JSON.parse(v) : v);

export class ClientsRepository {
  constructor(
    private readonly db: Queryable,
    private readonly cipher?: Cipher,
  ) {}

  with(db: Queryable): ClientsRepository {
    return new ClientsRepository(db, this.cipher);
  }

  async find(clientId: string): Promise<ClientRecord | undefined> {
    const r = await this.db('clients').where({ client_id: clientId }).first();
    return r ? this.toClient(r) : undefined;
  }

  async list(): Promise<ClientRecord[]> {
    return (await this.db('clients').orderBy('client_id')).map((r) => this.toClient(r));
  }

  async upsert(c: ClientRecord): Promise<ClientRecord> {
    const { client_secret: secret, ...rest } = c.metadata;
    const sealed = this.cipher && typeof secret === 'string';
    const row = {
      metadata: JSON.stringify(sealed ? rest : c.metadata),
      secret_sealed: sealed ? this.cipher!.encrypt(secret as string, `client:${c.clientId}`) : null,
      first_party: c.firstParty,
      tenants: c.tenants ? JSON.stringify(c.tenants) : null,
      notice: c.notice ? JSON.stringify(c.notice) : null,
    };
    const [r] = await this.db('clients')
      .insert({ client_id: c.clientId, ...row })
      .onConflict('client_id')
      .merge({ ...row, updated_at: new Date() })
      .returning('*');
    return this.toClient(r);
  }

  async delete(clientId: string): Promise<boolean> {
    return affectedRows(await this.db('clients').where({ client_id: clientId }).delete()) > 0;
  }

  private toClient(r: any): ClientRecord {
    const metadata = json(r.metadata) as Record<string, unknown>;
    if (r.secret_sealed && this.cipher) metadata.client_secret = this.cipher.decrypt(r.secret_sealed, `client:${r.client_id}`);
    return { clientId: r.client_id, metadata, firstParty: !!r.first_party, tenants: r.tenants ? json(r.tenants) : null, notice: r.notice ? json(r.notice) : null };
  }
}
