/** SQL for tenants. */
import { affectedRows, type Queryable } from '../storage/database.js';
import { parsePolicy, type TenantPolicy } from '../model/tenant-policy.js';
import type { Tenant } from '../model/types.js';

const toTenant = (r: any): Tenant => ({ id: r.id, name: r.name, policy: parsePolicy(r.policy) });

export class TenantsRepository {
  constructor(private readonly db: Queryable) {}

  with(db: Queryable): TenantsRepository {
    return new TenantsRepository(db);
  }

  async find(id: string): Promise<Tenant | undefined> {
    const r = await this.db('tenants').where({ id }).first();
    return r ? toTenant(r) : undefined;
  }

  async findMany(ids: string[]): Promise<Tenant[]> {
    if (ids.length === 0) return [];
    return (await this.db('tenants').whereIn('id', ids).orderBy('name')).map(toTenant);
  }

  async list(): Promise<Tenant[]> {
    return (await this.db('tenants').orderBy('name')).map(toTenant);
  }

  async upsert(t: { id: string; name: string; policy: TenantPolicy }): Promise<Tenant> {
    const [r] = await this.db('tenants')
      .insert({ id: t.id, name: t.name, policy: JSON.stringify(t.policy) })
      .onConflict('id')
      .merge({ name: t.name, policy: JSON.stringify(t.policy), updated_at: new Date() })
      .returning('*');
    return toTenant(r);
  }

  async delete(id: string): Promise<boolean> {
    return affectedRows(await this.db('tenants').where({ id }).delete()) > 0;
  }
}
