/**
 * Client registrations, cached in-process for a few seconds (CLIENT_CACHE_SECONDS): the
 * engine's token endpoint and every step of a login read them. It holds configuration, not
 * state; a change made through the admin API is forgotten here at once and seen by other
 * instances within the delay.
 */
import type { ClientsRepository } from '../repositories/clients-repository.js';
import type { ClientRecord } from '../model/types.js';

export class ClientCache {
  private readonly entries = new Map<string, { at: number; value: ClientRecord | undefined }>();

  constructor(
    private readonly clients: ClientsRepository,
    private readonly ttlSeconds: number,
  ) {}

  async find(clientId: string): Promise<ClientRecord | undefined> {
    const hit = this.entries.get(clientId);
    if (hit && Date.now() - hit.at < this.ttlSeconds * 1000) return hit.value;
    const value = await this.clients.find(clientId);
    if (this.ttlSeconds > 0) {
      if (this.entries.size > 10000) this.entries.clear();
      this.entries.set(clientId, { at: Date.now(), value });
    }
    return value;
  }

  forget(clientId?: string): void {
    if (clientId) this.entries.delete(clientId);
    else this.entries.clear();
  }
}
