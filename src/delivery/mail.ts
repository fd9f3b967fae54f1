/**
 * Mail delivery: the transport chosen by MAIL_TRANSPORT (config/settings.ts).
 * - `smtp`: an SMTP server (SMTP_URL), from MAIL_FROM (production);
 * - `outbox`: one JSON line per mail in MAIL_OUTBOX (development, tests, demos);
 * - `console`: the log, at info (development only: reset links end up in the log).
 */
import type { Settings } from '../../config/settings.js';
import type { Logger } from '../logger.js';
import { MailComposer } from './mail-compose.js';
import { ConsoleMailTransport } from './mail-console.js';
import { OutboxMailTransport } from './mail-outbox.js';
import { SmtpMailTransport } from './mail-smtp.js';
import type { MailTransport } from './mail-types.js';

export { MailDeliveryError, type MailMessage, type MailTransport } from './mail-types.js';

export function createMailTransport(settings: Settings, logger: Logger): MailTransport {
  const mail = settings.mail;
  switch (mail.transport) {
    case 'smtp':
      if (!mail.smtpUrl) throw new Error('SMTP_URL is required when MAIL_TRANSPORT=smtp');
      return new SmtpMailTransport({ url: mail.smtpUrl, from: mail.from });
    case 'outbox':
      if (!settings.mailOutbox) throw new Error('MAIL_OUTBOX is required when MAIL_TRANSPORT=outbox');
      return new OutboxMailTransport(settings.mailOutbox, new MailComposer(mail.from));
    case 'console':
      logger.warn('MAIL_TRANSPORT=console: mails are not sent, they are written to the log with their links');
      return new ConsoleMailTransport(logger, new MailComposer(mail.from));
    default:
      throw new Error(`Unknown mail transport ${String(mail.transport satisfies never)}`);
  }
}
