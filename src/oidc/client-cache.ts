/**
 * Client registrations, cached in-process for a few seconds (CLIENT_CACHE_SECONDS): the engine's
 * token endpoint and every step of a login read them (see src/storage/read-cache.ts).
 */
import type { ClientsRepository } from '../repositories/clients-repository.js';
import type { ClientRecord } from '../model/types.js';
import { ReadCache } from '../storage/read-cache.js';

export class ClientCache extends ReadCache<ClientRecord | undefined> {
  constructor(clients: ClientsRepository, ttlSeconds: number) {
    super((clientId) => clients.find(clientId), ttlSeconds);
  }

  find(clientId: string): Promise<ClientRecord | undefined> {
    return this.get(clientId);
  }
}
