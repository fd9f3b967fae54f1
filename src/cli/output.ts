/**
 * What the CLI prints: with --json the admin API's answer as JSON, else short lines, fields
 * and tables for a person.
 */
import type { Schemas } from './api-client.js';

type User = Schemas['User'];

export type Out = (line?: string) => void;

export const out: Out = (line = '') => void process.stdout.write(`${line}\n`);

/** The answer as indented JSON with --json, else what `human` prints. */
export function show<T>(json: boolean, value: T, human: (value: T) => void): void {
  if (json) out(JSON.stringify(value, null, 2));
  else human(value);
}

/** For commands whose API answer is empty: a small JSON summary, or one sentence. */
export function done(json: boolean, summary: object, sentence: string): void {
  out(json ? JSON.stringify(summary) : sentence);
}

export function table(headers: string[], rows: unknown[][]): void {
  if (rows.length === 0) {
    out('(none)');
    return;
  }
  const cells = rows.map((r) => r.map(cell));
  const widths = headers.map((h, i) => Math.max(h.length, ...cells.map((r) => r[i].length)));
  const line = (r: string[]) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]))).join('  ').trimEnd();
  out(line(headers));
  for (const r of cells) out(line(r));
}

export function cell(v: unknown): string {
  if (v === null || v === undefined || v === '') return '-';
  if (Array.isArray(v)) return v.length ? v.map(cell).join(',') : '-';
  if (typeof v === 'object') return JSON.stringify(v);
  return String(v).replace(/\s+/g, ' ');
}

export function fields(obj: Record<string, unknown>, keys: string[]): void {
  const width = Math.max(...keys.map((k) => k.length)) + 1;
  for (const k of keys) out(`${`${k}:`.padEnd(width)} ${cell(obj[k])}`);
}

export const yesNo = (v: unknown) => (v ? 'yes' : 'no');

export const when = (iso: unknown) => (typeof iso === 'string' ? iso.replace('T', ' ').replace(/\.\d+Z$/, 'Z') : iso);

export function userState(u: User): string {
  const states: string[] = [];
  if (u.disabled) states.push('disabled');
  if (u.locked) states.push('locked');
  else if (u.lockedUntil && new Date(u.lockedUntil) > new Date()) states.push(`locked until ${String(when(u.lockedUntil))}`);
  if (u.mustChangePassword) states.push('must change password');
  if (!u.hasPassword) states.push('no password');
  return states.length ? states.join(', ') : 'active';
}

export const memberships = (u: User): string[] => u.memberships.map((m) => (m.role === 'admin' ? `${m.tenantId}:admin` : m.tenantId));

export function printEvents(events: Schemas['Event'][], withUser: boolean): void {
  table(
    ['AT', 'TYPE', ...(withUser ? ['USER'] : []), 'TENANT', 'CLIENT', 'IP', 'DETAILS'],
    events.map((e) => [when(e.at), e.type, ...(withUser ? [e.userId] : []), e.tenantId, e.clientId, e.ip, e.details ?? e.method]),
  );
}
