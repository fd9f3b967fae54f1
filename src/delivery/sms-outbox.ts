/** Development/test transport: one JSON line per SMS appended to a file (SMS_OUTBOX). */
import fs from 'node:fs';
import path from 'node:path';
import type { SmsMessage, SmsTransport } from './sms-types.js';

export class OutboxSmsTransport implements SmsTransport {
  private folderReady?: Promise<unknown>;

  constructor(private readonly file: string, private readonly sender: string) {}

  async send(message: SmsMessage): Promise<void> {
    this.folderReady ??= fs.promises.mkdir(path.dirname(this.file), { recursive: true });
    await this.folderReady;
    const line = JSON.stringify({ to: message.to, text: message.text, from: this.sender, at: new Date().toISOString() }) + '\n';
    // One appendFile call = one write(2) on an O_APPEND descriptor: lines from concurrent senders
    // (even other processes) do not interleave. 0600: the file holds live codes.
    await fs.promises.appendFile(this.file, line, { encoding: 'utf8', mode: 0o600 });
  }
}
