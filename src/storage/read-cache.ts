/**
 * Configuration read on every request (client registrations, tenant policies), cached in-process
 * for a few seconds (CLIENT_CACHE_SECONDS). It holds configuration, not state: a change made
 * through this instance is forgotten here at once, and seen by other instances within the delay.
 */
export class ReadCache<V> {
  private readonly entries = new Map<string, { at: number; value: V }>();

  constructor(
    private readonly load: (key: string) => Promise<V>,
    private readonly ttlSeconds: number,
  ) {}

  async get(key: string): Promise<V> {
    const hit = this.entries.get(key);
    if (hit && Date.now() - hit.at < this.ttlSeconds * 1000) return hit.value;
    const value = await this.load(key);
    if (this.ttlSeconds > 0) {
      if (this.entries.size > 10000) this.entries.clear();
      this.entries.set(key, { at: Date.now(), value });
    }
    return value;
  }

  forget(key?: string): void {
    if (key) this.entries.delete(key);
    else this.entries.clear();
  }
}
