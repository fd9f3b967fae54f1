/**
 * SMS transports for real: the outbox file, the log, and an HTTP gateway played by a local
 * http.createServer (method, headers, JSON body, failures that never leak the code or the key).
 */
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { pino } from 'pino';
import { loadSettings } from '../../config/settings.js';
import { createSmsTransport, SmsDeliveryError } from '../../src/delivery/sms.js';
import { HttpSmsTransport, renderBody } from '../../src/delivery/sms-http.js';
import { tmpDir } from '../helpers/stores.js';

const silent = pino({ level: 'silent' });
const dirs: string[] = [];
function scratch(): string {
  const dir = tmpDir();
  dirs.push(dir);
  return dir;
}
afterAll(() => {
  for (const dir of dirs) fs.rmSync(dir, { recursive: true, force: true });
});
const TOKEN = 'Bearer gw-secret-token-42';

describe('outbox transport', () => {
  it('appends one parseable JSON line per message, creating the folder', async () => {
    const file = path.join(scratch(), 'nested', 'deeper', 'sms.jsonl');
    const transport = createSmsTransport(loadSettings({ SMS_TRANSPORT: 'outbox', SMS_OUTBOX: file, SMS_SENDER: 'SesamTest' }), silent);
    await transport.send({ to: '+32470123456', text: 'Votre code Sesam : 012345.' });
    await transport.send({ to: '+32470999999', text: 'a "quoted"\nline' });
    const lines = fs.readFileSync(file, 'utf8').split('\n');
    expect(lines.pop()).toBe(''); // ends with a newline
    expect(lines).toHaveLength(2);
    const [first, second] = lines.map((l) => JSON.parse(l));
    expect(first).toMatchObject({ to: '+32470123456', text: 'Votre code Sesam : 012345.', from: 'SesamTest' });
    expect(Date.parse(first.at)).toBeGreaterThan(Date.now() - 60_000);
    expect(second).toMatchObject({ to: '+32470999999', text: 'a "quoted"\nline' });
    expect(fs.statSync(file).mode & 0o077).toBe(0); // holds live codes: owner only
  });

  it('keeps lines whole under concurrent sends', async () => {
    const file = path.join(scratch(), 'sms.jsonl');
    const transport = createSmsTransport(loadSettings({ SMS_OUTBOX: file }), silent); // outbox by default when set
    const texts = Array.from({ length: 50 }, (_, i) => `message ${i} ${'x'.repeat(i * 20)}`);
    await Promise.all(texts.map((text) => transport.send({ to: '+32470123456', text })));
    const parsed = fs.readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { text: string });
    expect(parsed.map((p) => p.text).sort()).toEqual([...texts].sort());
  });
});

describe('console transport', () => {
  it('logs the recipient and the text at info', async () => {
    const lines: string[] = [];
    const logger = pino({ level: 'info' }, { write: (line: string) => void lines.push(line) });
    const transport = createSmsTransport(loadSettings({ SMS_TRANSPORT: 'console' }), logger);
    await transport.send({ to: '+32470123456', text: 'Your Sesam code: 654321.' });
    const entries = lines.map((l) => JSON.parse(l) as { level: number; msg: string; sms?: { to: string; text: string } });
    const sent = entries.filter((e) => e.sms);
    expect(sent).toHaveLength(1);
    expect(sent[0]).toMatchObject({ level: 30, sms: { to: '+32470123456', text: 'Your Sesam code: 654321.' } });
    // And a warning at start-up that codes go to the log.
    expect(entries.some((e) => e.level === 40 && /console/.test(e.msg))).toBe(true);
  });
});

describe('http transport', () => {
  interface Received {
    method?: string;
    url?: string;
    headers: http.IncomingHttpHeaders;
    body: string;
  }
  let server: http.Server;
  let base: string;
  let received: Received[];
  let answer: { status: number; hang?: boolean };

  beforeAll(async () => {
    server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        received.push({ method: req.method, url: req.url, headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
        if (answer.hang) return; // never answers
        res.writeHead(answer.status, { 'content-type': 'application/json' });
        // A gateway that echoes the message back, code included, in its error.
        res.end(JSON.stringify({ error: answer.status >= 400 ? 'failed' : undefined, echo: Buffer.concat(chunks).toString('utf8') }));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });
  beforeEach(() => {
    received = [];
    answer = { status: 202 };
  });

  function transport(env: Record<string, string> = {}) {
    return createSmsTransport(
      loadSettings({ SMS_TRANSPORT: 'http', SMS_HTTP_URL: `${base}/v1/sms?api_key=query-secret`, SMS_HTTP_AUTHORIZATION: TOKEN, ...env }),
      silent,
    );
  }

  it('POSTs the JSON body with content type and Authorization', async () => {
    const text = 'Code "123456"\nline two \\ {{to}} </script> é';
    await transport().send({ to: '+32470123456', text });
    expect(received).toHaveLength(1);
    const [req] = received;
    expect(req.method).toBe('POST');
    expect(req.url).toBe('/v1/sms?api_key=query-secret');
    expect(req.headers['content-type']).toBe('application/json');
    expect(req.headers.authorization).toBe(TOKEN);
    expect(JSON.parse(req.body)).toEqual({ to: '+32470123456', text });
  });

  it('sends no Authorization header when none is configured', async () => {
    await createSmsTransport(loadSettings({ SMS_TRANSPORT: 'http', SMS_HTTP_URL: `${base}/sms` }), silent).send({ to: '+32470123456', text: 'x' });
    expect(received).toHaveLength(1);
    expect(received[0].headers.authorization).toBeUndefined();
  });

  it('fills a custom template, placeholders inside longer strings or as whole values', async () => {
    const body = '{"messages":[{"destination":{{to}},"body":"Sesam: {{text}} (end)"}],"from":"Sesam"}';
    await transport({ SMS_HTTP_BODY: body }).send({ to: '+32470123456', text: 'a "b"\nc' });
    expect(JSON.parse(received[0].body)).toEqual({ messages: [{ destination: '+32470123456', body: 'Sesam: a "b"\nc (end)' }], from: 'Sesam' });
  });

  it('refuses at start-up a template that cannot give JSON', () => {
    expect(() => transport({ SMS_HTTP_BODY: '{"to":"{{to}}","text":"{{text}}"' })).toThrow(/SMS_HTTP_BODY/);
  });

  it('turns a 500 into an SmsDeliveryError that reveals neither the code nor the credentials', async () => {
    answer = { status: 500 };
    const error = await transport()
      .send({ to: '+32470123456', text: 'Your Sesam code: 987654.' })
      .then(() => undefined, (e: unknown) => e);
    expect(received).toHaveLength(1);
    expect(error).toBeInstanceOf(SmsDeliveryError);
    const e = error as SmsDeliveryError;
    expect(e.status).toBe(500);
    expect(e.message).toMatch(/500/);
    for (const secret of ['987654', 'gw-secret-token-42', 'query-secret', '+32470123456']) expect(e.message).not.toContain(secret);
    expect(JSON.stringify(e)).not.toContain('987654');
  });

  it('treats a 3xx or 4xx as a failure too', async () => {
    answer = { status: 401 };
    await expect(transport().send({ to: '+32470123456', text: '111111' })).rejects.toThrow(SmsDeliveryError);
    answer = { status: 302 };
    await expect(transport().send({ to: '+32470123456', text: '111111' })).rejects.toThrow(SmsDeliveryError);
  });

  it('turns an unreachable gateway into an SmsDeliveryError', async () => {
    const closed = http.createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    const t = createSmsTransport(
      loadSettings({ SMS_TRANSPORT: 'http', SMS_HTTP_URL: `http://127.0.0.1:${port}/sms?api_key=query-secret`, SMS_HTTP_AUTHORIZATION: TOKEN }),
      silent,
    );
    const error = await t.send({ to: '+32470123456', text: 'code 246810' }).then(() => undefined, (e: unknown) => e);
    expect(error).toBeInstanceOf(SmsDeliveryError);
    expect((error as Error).message).toMatch(/ECONNREFUSED/);
    for (const secret of ['246810', 'gw-secret-token-42', 'query-secret']) expect((error as Error).message).not.toContain(secret);
  });

  it('gives up after the timeout', async () => {
    answer = { status: 200, hang: true };
    const t = new HttpSmsTransport({ url: `${base}/sms`, bodyTemplate: '{"to":"{{to}}","text":"{{text}}"}', timeoutMs: 300 });
    const started = Date.now();
    await expect(t.send({ to: '+32470123456', text: 'code 135790' })).rejects.toThrow(/SMS gateway request failed \(timeout\)/);
    expect(Date.now() - started).toBeLessThan(5000);
    expect(received).toHaveLength(1);
  });

  it('renders placeholders in one pass', () => {
    expect(renderBody('{"to":"{{to}}","text":"{{text}}"}', { to: '{{text}}', text: '{{to}}' })).toBe('{"to":"{{text}}","text":"{{to}}"}');
  });
});
