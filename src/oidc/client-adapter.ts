/**
 * Serves the provider's `Client` model from the clients table (operators register apps through
 * the admin API or the import file). A short in-process cache of the registration (seconds,
 * CLIENT_CACHE_SECONDS) spares the token endpoint a database round trip per request; it holds
 * configuration, not state, and a change is seen everywhere within that delay.
 */
import type { Adapter, AdapterPayload } from 'oidc-provider';
import type { ClientsRepository } from '../repositories/clients-repository.js';

export function clientAdapterClass(clients: ClientsRepository, cacheSeconds: number) {
  const cache = new Map<string, { at: number; value: AdapterPayload | undefined }>();
  return class ClientAdapter implements Adapter {
    constructor(readonly name: string) {}

    async find(id: string): Promise<AdapterPayload | undefined> {
      const hit = cache.get(id);
      if (hit && Date.now() - hit.at < cacheSeconds * 1000) return hit.value;
      const record = await clients.find(id);
      const value = record ? ({ ...record.metadata, client_id: record.clientId } as AdapterPayload) : undefined;
      if (cacheSeconds > 0) {
        if (cache.size > 10000) cache.clear();
        cache.set(id, { at: Date.now(), value });
      }
      return value;
    }

    static forget(id?: string) {
      if (id) cache.delete(id);
      else cache.clear();
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
