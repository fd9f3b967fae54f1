/**
 * Serves the provider's `Client` model from the clients table (operators register apps through
 * the admin API or the import file), through the short-lived registration cache.
 */
import type { Adapter, AdapterPayload } from 'oidc-provider';
import type { ClientCache } from './client-cache.js';

export function clientAdapterClass(cache: ClientCache) {
  return class ClientAdapter implements Adapter {
    constructor(readonly name: string) {}

    async find(id: string): Promise<AdapterPayload | undefined> {
      const record = await cache.find(id);
      return record ? ({ ...record.metadata, client_id: record.clientId } as AdapterPayload) : undefined;
    }

    // Registrations change through the admin API only, never through the engine.
    async upsert(): Promise<void> {}
    async destroy(): Promise<void> {}
    async consume(): Promise<void> {}
    async findByUid(): Promise<undefined> {
      return undefined;
    }
    async findByUserCode(): Promise<undefined> {
      return undefined;
    }
    async revokeByGrantId(): Promise<void> {}
  };
}
