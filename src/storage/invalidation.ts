/**
 * Tells every instance of a deployment that configuration it may hold in memory changed: a client
 * (`client:<id>`), a tenant policy (`tenant:<id>`), the signing keys (`keys`). Over Redis pub/sub
 * on `<REDIS_KEY_PREFIX>invalidate`, so a change made through one instance is seen by all at once;
 * without Redis nothing is sent and the caches' few seconds of TTL stay the bound. A message
 * missed while the subscriber reconnects is covered by that TTL too. On a Redis Cluster, PUBLISH
 * reaches the subscribers of every node (classic pub/sub is cluster-wide), whichever node ioredis
 * picked for each connection.
 */
import { duplicateClient, type RedisClient } from './redis.js';

export type InvalidationHandler = (message: string) => void;

export class Invalidation {
  private subscriber?: RedisClient;
  private readonly channel: string;

  constructor(
    private readonly redis: RedisClient | undefined,
    prefix: string,
    private readonly onError: (err: unknown) => void = () => undefined,
  ) {
    // ioredis prefixes keys, not channels: the deployment's prefix is added here.
    this.channel = `${prefix}invalidate`;
  }

  /** Fire and forget: a lost message costs at most the TTL of a cache entry. */
  publish(message: string): void {
    this.redis?.publish(this.channel, message).catch(this.onError);
  }

  /** Listens on a connection of its own (a subscribed ioredis connection can send nothing else). */
  async subscribe(handler: InvalidationHandler): Promise<void> {
    if (!this.redis || this.subscriber) return;
    const subscriber = (this.subscriber = duplicateClient(this.redis));
    subscriber.on('error', this.onError);
    subscriber.on('message', (channel: string, message: string) => {
      if (channel === this.channel) handler(message);
    });
    await subscriber.subscribe(this.channel);
  }

  async close(): Promise<void> {
    const subscriber = this.subscriber;
    this.subscriber = undefined;
    await subscriber?.quit().catch(() => subscriber.disconnect());
  }
}
