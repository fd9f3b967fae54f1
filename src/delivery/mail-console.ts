/** Development transport: the mail goes to the log, at info (its links with it). */
import type { Logger } from '../logger.js';
import type { MailComposer } from './mail-compose.js';
import type { MailMessage, MailTransport } from './mail-types.js';

export class ConsoleMailTransport implements MailTransport {
  constructor(private readonly logger: Logger, private readonly composer: MailComposer) {}

  async send(message: MailMessage): Promise<void> {
    const mail = await this.composer.compose(message);
    this.logger.info({ mail: { to: mail.to, from: mail.from, subject: mail.subject, text: mail.text } }, 'mail (console transport, not sent)');
  }
}
