/**
 * Serves the provider's `Client` model from the clients table (operators register apps through
 * the admin API or the import file), through the short-lived registration cache. The engine
 * writes through it only for dynamic registration (RFC 7591/7592), which `registration` guards.
 */
import type { Adapter, AdapterPayload } from 'oidc-provider';
import type { ClientCache } from './client-cache.js';
import type { DynamicRegistration } from './registration.js';

export function clientAdapterClass(cache: ClientCache, registration: Pick<DynamicRegistration, 'store' | 'remove'>) {
  return class ClientAdapter implements Adapter {
    constructor(readonly name: string) {}

    async find(id: string): Promise<AdapterPayload | undefined> {
      const record = await cache.find(id);
      return record ? ({ ...record.metadata, client_id: record.clientId } as AdapterPayload) : undefined;
    }

    // Operators change registrations through the Directory; the engine only for dynamic registration.
    async upsert(id: string, payload: AdapterPayload): Promise<void> {
      await registration.store(id, payload as Record<string, unknown>);
    }

    async destroy(id: string): Promise<void> {
      await registration.remove(id);
    }

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
