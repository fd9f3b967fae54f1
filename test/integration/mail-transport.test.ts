/**
 * Mail transports for real: the MAIL_OUTBOX file (one JSON line per mail: a contract), the log,
 * and SMTP through nodemailer to a small SMTP server played by net.createServer (EHLO, AUTH
 * PLAIN, MAIL, RCPT, DATA); failures that never leak the body, the server's words or the
 * password of SMTP_URL. And the console refused by default under an https issuer.
 */
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, describe, expect, it } from '@jest/globals';
import { pino } from 'pino';
import { loadSettings, SettingsError } from '../../config/settings.js';
import { createMailTransport, MailDeliveryError } from '../../src/delivery/mail.js';
import { resetLinkMail } from '../../src/delivery/mail-messages.js';
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

const LINK = 'http://localhost:3000/interaction/recover/AbCdEfGhIjKlMnOpQrStUvWxYz0123456789-_abcde';
const message = { to: 'marie@example.be', ...resetLinkMail('fr', { login: 'marie', link: LINK, minutes: 30 }) };

describe('outbox transport', () => {
  it('appends one JSON line per mail with to, from, subject, text and html, owner-only', async () => {
    const file = path.join(scratch(), 'nested', 'mail.jsonl');
    const transport = createMailTransport(loadSettings({ MAIL_OUTBOX: file, MAIL_FROM: 'Sesam Test <no-reply@sesam.example>' }), silent);
    await transport.send(message);
    await transport.send({ to: 'jan@example.be', subject: 'a "quoted"\nsubject', text: 'line one\nline two', html: '<p>x</p>' });
    const lines = fs.readFileSync(file, 'utf8').split('\n');
    expect(lines.pop()).toBe('');
    expect(lines).toHaveLength(2);
    const [first, second] = lines.map((l) => JSON.parse(l));
    expect(first).toMatchObject({ to: 'marie@example.be', from: 'Sesam Test <no-reply@sesam.example>', subject: message.subject, text: message.text, html: message.html });
    expect(first.text).toContain(LINK);
    expect(first.html).toContain(`href="${LINK}"`);
    expect(first.messageId).toMatch(/^<.+@.+>$/);
    expect(Date.parse(first.at)).toBeGreaterThan(Date.now() - 60_000);
    expect(second).toMatchObject({ to: 'jan@example.be', subject: 'a "quoted"\nsubject', text: 'line one\nline two' });
    expect(fs.statSync(file).mode & 0o077).toBe(0); // live reset links: owner only
  });

  it('keeps lines whole under concurrent sends', async () => {
    const file = path.join(scratch(), 'mail.jsonl');
    const transport = createMailTransport(loadSettings({ MAIL_TRANSPORT: 'outbox', MAIL_OUTBOX: file }), silent);
    const texts = Array.from({ length: 40 }, (_, i) => `mail ${i} ${'x'.repeat(i * 50)}`);
    await Promise.all(texts.map((text) => transport.send({ to: 'a@example.be', subject: 's', text, html: `<p>${text}</p>` })));
    const parsed = fs.readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { text: string });
    expect(parsed.map((p) => p.text).sort()).toEqual([...texts].sort());
  });

  it('refuses an address nodemailer cannot send to, naming neither the body nor the address', async () => {
    const file = path.join(scratch(), 'mail.jsonl');
    const transport = createMailTransport(loadSettings({ MAIL_OUTBOX: file }), silent);
    const error = await transport.send({ ...message, to: '' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MailDeliveryError);
    expect(String((error as Error).message)).not.toContain(LINK);
    expect(fs.existsSync(file)).toBe(false);
  });
});

describe('console transport', () => {
  it('writes the mail to the log at info, after a warning at start-up', async () => {
    const lines: string[] = [];
    const logger = pino({ level: 'info' }, { write: (line: string) => void lines.push(line) });
    const transport = createMailTransport(loadSettings({ MAIL_TRANSPORT: 'console' }), logger);
    await transport.send(message);
    const entries = lines.map((l) => JSON.parse(l) as { level: number; msg: string; mail?: { to: string; subject: string; text: string } });
    expect(entries.filter((e) => e.mail)).toEqual([expect.objectContaining({ level: 30, mail: expect.objectContaining({ to: 'marie@example.be', subject: message.subject }) })]);
    expect(entries.some((e) => e.level === 40 && /console/.test(e.msg))).toBe(true);
  });

  it('is the default in development, and refused by default under an https issuer', () => {
    expect(loadSettings({}).mail.transport).toBe('console');
    let error: unknown;
    try {
      loadSettings({ ISSUER: 'https://sesam.example', SMS_TRANSPORT: 'console' });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(SettingsError);
    expect((error as SettingsError).setting).toBe('MAIL_TRANSPORT');
    expect((error as Error).message).toMatch(/log/);
    // chosen on purpose, or another transport: fine
    expect(loadSettings({ ISSUER: 'https://sesam.example', SMS_TRANSPORT: 'console', MAIL_TRANSPORT: 'console' }).mail.transport).toBe('console');
    expect(loadSettings({ ISSUER: 'https://sesam.example', SMS_TRANSPORT: 'console', MAIL_OUTBOX: '/tmp/m.jsonl' }).mail.transport).toBe('outbox');
    expect(loadSettings({ ISSUER: 'https://sesam.example', SMS_TRANSPORT: 'console', SMTP_URL: 'smtps://u:p@mail.example:465' }).mail.transport).toBe('smtp');
  });
});

/** A small SMTP server: what it received, and an optional refusal of the recipient. */
interface FakeSmtp {
  port: number;
  received: { auth?: string; from?: string; to: string[]; data: string }[];
  refuseRecipients: boolean;
  close(): Promise<void>;
}

async function fakeSmtp(): Promise<FakeSmtp> {
  const state: FakeSmtp = { port: 0, received: [], refuseRecipients: false, close: async () => undefined };
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    let buffer = '';
    let inData = false;
    let current: FakeSmtp['received'][number] = { to: [], data: '' };
    let auth: string | undefined;
    const reply = (line: string) => socket.write(`${line}\r\n`);
    reply('220 fake.smtp ESMTP ready');
    socket.on('data', (chunk) => {
      buffer += chunk.toString('utf8');
      for (;;) {
        if (inData) {
          const end = buffer.indexOf('\r\n.\r\n');
          if (end < 0) return;
          current.data = buffer.slice(0, end);
          buffer = buffer.slice(end + 5);
          inData = false;
          state.received.push({ ...current, auth });
          current = { to: [], data: '' };
          reply('250 2.0.0 queued');
          continue;
        }
        const nl = buffer.indexOf('\r\n');
        if (nl < 0) return;
        const line = buffer.slice(0, nl);
        buffer = buffer.slice(nl + 2);
        const verb = line.split(' ')[0].toUpperCase();
        if (verb === 'EHLO') reply('250-fake.smtp\r\n250-AUTH PLAIN\r\n250 8BITMIME');
        else if (verb === 'HELO') reply('250 fake.smtp');
        else if (verb === 'AUTH') {
          auth = Buffer.from(line.split(' ')[2] ?? '', 'base64').toString('utf8');
          reply('235 2.7.0 accepted');
        } else if (verb === 'MAIL') {
          current.from = /<([^>]*)>/.exec(line)?.[1];
          reply('250 2.1.0 ok');
        } else if (verb === 'RCPT') {
          if (state.refuseRecipients) reply('550 5.1.1 mailbox unavailable, see the body of your message');
          else {
            current.to.push(/<([^>]*)>/.exec(line)?.[1] ?? '');
            reply('250 2.1.5 ok');
          }
        } else if (verb === 'DATA') {
          inData = true;
          reply('354 go ahead');
        } else if (verb === 'RSET' || verb === 'NOOP') reply('250 ok');
        else if (verb === 'QUIT') {
          reply('221 bye');
          socket.end();
        } else reply('502 not implemented');
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  state.port = (server.address() as AddressInfo).port;
  state.close = () =>
    new Promise<void>((resolve) => {
      for (const s of sockets) s.destroy();
      server.close(() => resolve());
    });
  return state;
}

describe('smtp transport', () => {
  let smtp: FakeSmtp | undefined;
  afterEach(async () => {
    await smtp?.close();
  });

  it('delivers a text and HTML mail through the server of SMTP_URL, signed in, from MAIL_FROM', async () => {
    smtp = await fakeSmtp();
    const transport = createMailTransport(
      loadSettings({ SMTP_URL: `smtp://mailer:s3cret-pass@127.0.0.1:${smtp.port}`, MAIL_FROM: 'Sesam <no-reply@sesam.example>' }),
      silent,
    );
    await transport.send(message);
    expect(smtp.received).toHaveLength(1);
    const [mail] = smtp.received;
    expect(mail.auth).toBe('\u0000mailer\u0000s3cret-pass');
    expect(mail.from).toBe('no-reply@sesam.example');
    expect(mail.to).toEqual(['marie@example.be']);
    expect(mail.data).toMatch(/^Subject: /m);
    expect(mail.data).toMatch(/multipart\/alternative/);
    expect(mail.data).toMatch(/Content-Type: text\/plain/);
    expect(mail.data).toMatch(/Content-Type: text\/html/);
    expect(mail.data).toMatch(/^From: Sesam <no-reply@sesam\.example>/m);
  });

  it('fails with a MailDeliveryError that names neither the password, the body nor the server\'s words', async () => {
    smtp = await fakeSmtp();
    smtp.refuseRecipients = true;
    const transport = createMailTransport(loadSettings({ MAIL_TRANSPORT: 'smtp', SMTP_URL: `smtp://mailer:s3cret-pass@127.0.0.1:${smtp.port}` }), silent);
    const error = (await transport.send(message).catch((e: unknown) => e)) as MailDeliveryError;
    expect(error).toBeInstanceOf(MailDeliveryError);
    expect(error.responseCode).toBe(550);
    expect(error.message).toMatch(/^SMTP delivery failed/);
    for (const secret of ['s3cret-pass', 'mailbox unavailable', LINK, 'marie@example.be']) expect(error.message).not.toContain(secret);
  });

  it('fails on a server that is not there, within the timeouts', async () => {
    const closed = net.createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const transport = createMailTransport(loadSettings({ SMTP_URL: `smtp://127.0.0.1:${port}` }), silent);
    const error = (await transport.send(message).catch((e: unknown) => e)) as Error;
    expect(error).toBeInstanceOf(MailDeliveryError);
    expect(error.message).toMatch(/ECONNECTION|ECONNREFUSED|ESOCKET/);
  });

  it('refuses a bad SMTP_URL or MAIL_FROM at start-up, without echoing the password', () => {
    for (const [env, setting] of [
      [{ SMTP_URL: 'http://u:pw-in-url@mail.example' }, 'SMTP_URL'],
      [{ MAIL_TRANSPORT: 'smtp' }, 'SMTP_URL'],
      [{ MAIL_TRANSPORT: 'outbox' }, 'MAIL_OUTBOX'],
      [{ MAIL_FROM: 'not an address' }, 'MAIL_FROM'],
      [{ MAIL_FROM: 'Evil <a@b.be>\r\nBcc: x@y.be' }, 'MAIL_FROM'],
    ] as const) {
      let error: unknown;
      try {
        loadSettings(env);
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(SettingsError);
      expect((error as SettingsError).setting).toBe(setting);
      expect((error as Error).message).not.toContain('pw-in-url');
    }
    expect(loadSettings({ ISSUER: 'http://login.acme.be' }).mail.from).toBe('Sesam <no-reply@login.acme.be>');
  });
});
