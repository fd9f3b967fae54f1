/** Development/test transport: one JSON line per mail appended to a file (MAIL_OUTBOX). */
import fs from 'node:fs';
import path from 'node:path';
import type { MailComposer } from './mail-compose.js';
import type { MailMessage, MailTransport } from './mail-types.js';

export class OutboxMailTransport implements MailTransport {
  private folderReady?: Promise<unknown>;

  constructor(private readonly file: string, private readonly composer: MailComposer) {}

  async send(message: MailMessage): Promise<void> {
    const mail = await this.composer.compose(message);
    this.folderReady ??= fs.promises.mkdir(path.dirname(this.file), { recursive: true });
    await this.folderReady;
    const line = JSON.stringify({ to: mail.to, from: mail.from, subject: mail.subject, text: mail.text, html: mail.html, messageId: mail.messageId, at: new Date().toISOString() }) + '\n';
    // One appendFile call = one write(2) on an O_APPEND descriptor: lines from concurrent senders
    // (even other processes) do not interleave. 0600: the file holds live reset links.
    await fs.promises.appendFile(this.file, line, { encoding: 'utf8', mode: 0o600 });
  }
}
