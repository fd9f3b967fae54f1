/**
 * Sesam's Prometheus metrics, in a registry of each instance's own (not prom-client's global
 * one, so tests build several servers in one process): the process's default metrics, sign-ins
 * by outcome and method, lockouts, SMS and mail handed over or failed, tokens issued by grant
 * type, the login journey's steps and the key-value store's operations timed. Every label takes
 * a value from a short fixed list: never a user, a client, an interaction or an address.
 * It depends only on prom-client and the event record; src/boot wires it into the rest.
 */
import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { EventRecord } from '../model/types.js';

/**
 * Sign-in events and what they count as; the other event types count nowhere. A success is a
 * finished journey (`login.success`); a failure is any refused proof on the way.
 */
const SIGN_IN_OUTCOMES: Record<string, 'success' | 'failure' | 'locked' | 'throttled'> = {
  'login.success': 'success',
  'login.wrong_password': 'failure',
  'login.unknown_identifier': 'failure',
  'login.disabled': 'failure',
  'login.second_factor_failed': 'failure',
  'login.passkey_failed': 'failure',
  'login.upstream_failed': 'failure',
  'login.upstream_refused': 'failure',
  'login.policy_unmet': 'failure',
  'login.locked': 'locked',
  'login.throttled': 'throttled',
};

/** The method of an event that names none. */
const IMPLIED_METHOD: Record<string, string> = {
  'login.passkey_failed': 'passkey',
  'login.second_factor_failed': 'second-factor',
  'login.upstream_failed': 'upstream',
};

const METHODS = new Set(['password', 'passkey', 'sms', 'totp', 'recovery', 'email-link', 'session', 'upstream', 'second-factor']);

/** A method label from a fixed list: `upstream:<provider>` is `upstream`, `pwd` is `password`, a combination keeps its parts (`password+totp`). */
export function methodLabel(method: string | null | undefined): string {
  if (!method) return 'none';
  const parts = method.split('+').map((m) => {
    const name = m === 'pwd' ? 'password' : m.startsWith('upstream:') ? 'upstream' : m;
    return METHODS.has(name) ? name : 'other';
  });
  return parts.slice(0, 3).join('+');
}

/** Buckets for a step of the journey or a store operation: a millisecond to ten seconds (a password hash takes tenths). */
const STEP_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
const STORE_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1];

export class Metrics {
  readonly registry = new Registry();
  readonly signIns = new Counter({ name: 'sesam_sign_ins_total', help: 'Sign-in attempts by outcome (success, failure, locked, throttled) and method.', labelNames: ['outcome', 'method'] as const, registers: [this.registry] });
  readonly lockouts = new Counter({ name: 'sesam_lockouts_total', help: 'Accounts locked after too many failed attempts.', registers: [this.registry] });
  readonly sms = new Counter({ name: 'sesam_sms_total', help: 'SMS handed to the transport (sent) or refused by it (failed).', labelNames: ['outcome'] as const, registers: [this.registry] });
  readonly mail = new Counter({ name: 'sesam_mail_total', help: 'Mails handed to the transport (sent) or refused by it (failed).', labelNames: ['outcome'] as const, registers: [this.registry] });
  readonly tokens = new Counter({ name: 'sesam_tokens_issued_total', help: 'Successful token endpoint responses by grant type.', labelNames: ['grant'] as const, registers: [this.registry] });
  readonly steps = new Histogram({ name: 'sesam_interaction_step_seconds', help: 'Time to answer a request of the login journey, by step and HTTP method.', labelNames: ['step', 'method'] as const, buckets: STEP_BUCKETS, registers: [this.registry] });
  readonly store = new Histogram({ name: 'sesam_store_seconds', help: 'Time of a key-value store operation, by store (redis, postgres) and operation.', labelNames: ['store', 'op'] as const, buckets: STORE_BUCKETS, registers: [this.registry] });
  /** Every SQL statement sent (knex's `query` event), so the benchmark can count the statements of a sign-in. */
  readonly dbQueries = new Counter({ name: 'sesam_db_queries_total', help: 'SQL statements sent to the database (PostgreSQL or embedded), migrations excepted.', registers: [this.registry] });

  constructor() {
    collectDefaultMetrics({ register: this.registry });
  }

  /** Counts what an event of the event log stands for (the log records every sign-in and lockout). */
  countEvent(event: EventRecord): void {
    const outcome = SIGN_IN_OUTCOMES[event.type];
    if (outcome) this.signIns.inc({ outcome, method: methodLabel(event.method ?? IMPLIED_METHOD[event.type]) });
    if (event.type === 'account.locked') this.lockouts.inc();
  }

  /** A token endpoint success; `grant` comes from the engine's supported grant types, a short list. */
  countToken(grant: string | undefined): void {
    this.tokens.inc({ grant: grant && /^[\w:.-]{1,100}$/.test(grant) ? grant : 'other' });
  }

  /** The transport, counting each message it hands over or fails to. */
  countDeliveries<M, T extends { send(message: M): Promise<void> }>(kind: 'sms' | 'mail', transport: T): T {
    const counter = kind === 'sms' ? this.sms : this.mail;
    const send = transport.send.bind(transport);
    return Object.assign(Object.create(transport) as T, {
      async send(message: M) {
        try {
          await send(message);
          counter.inc({ outcome: 'sent' });
        } catch (error) {
          counter.inc({ outcome: 'failed' });
          throw error;
        }
      },
    });
  }

  /** The Prometheus text exposition of every metric. */
  async exposition(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }
}
