/** SQL for registered client applications. */
import { affectedRows, type Queryable } from '../storage/database.js';
import type { ClientRecord } from '../domain/types.js';

const toClient = (r: any): ClientRecord => ({
  clientId: r.client_id,
  metadata: typeof r.metadata === 'string' ? JSON.parse(r.metadata) : r.metadata,
  firstParty: !!r.first_party,
  tenants: r.tenants ? (typeof r.tenants === 'string' ? JSON.parse(r.tenants) : r.tenants) : null,
});

export class ClientsRepository {
  constructor(private readonly db: Queryable) {}

  with(db: Queryable): ClientsRepository {
    return new ClientsRepository(db);
  }

  async find(clientId: string): Promise<ClientRecord | undefined> {
    const r = await this.db('clients').where({ client_id: clientId }).first();
    return r ? toClient(r) : undefined;
  }

  async list(): Promise<ClientRecord[]> {
    return (await this.db('clients').orderBy('client_id')).map(toClient);
  }

  async upsert(c: ClientRecord): Promise<ClientRecord> {
    const row = {
      metadata: JSON.stringify(c.metadata),
      first_party: c.firstParty,
      tenants: c.tenants ? JSON.stringify(c.tenants) : null,
    };
    const [r] = await this.db('clients')
      .insert({ client_id: c.clientId, ...row })
      .onConflict('client_id')
      .merge({ ...row, updated_at: new Date() })
      .returning('*');
    return toClient(r);
  }

  async delete(clientId: string): Promise<boolean> {
    return affectedRows(await this.db('clients').where({ client_id: clientId }).delete()) > 0;
  }
}
