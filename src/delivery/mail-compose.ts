/**
 * Builds a message the way SMTP would send it, without sending it (nodemailer's JSON transport):
 * the same address parsing and header rules for the file and console transports as for SMTP. No
 * file or URL is ever read into a message (nodemailer can attach both): ours are text only.
 */
import nodemailer from 'nodemailer';
import { MailDeliveryError, type MailMessage } from './mail-types.js';

/** A composed message, flattened for a JSON line or a log entry. */
export interface ComposedMail extends MailMessage {
  from: string;
  messageId: string;
}

export class MailComposer {
  private readonly composer = nodemailer.createTransport({ jsonTransport: true, skipEncoding: true, disableFileAccess: true, disableUrlAccess: true });

  constructor(private readonly from: string) {}

  async compose(message: MailMessage): Promise<ComposedMail> {
    let info;
    try {
      info = await this.composer.sendMail({ from: this.from, to: message.to, subject: message.subject, text: message.text, html: message.html });
    } catch (err) {
      throw new MailDeliveryError(`the mail could not be composed (${(err as { code?: string }).code ?? 'invalid message'})`);
    }
    // SMTP would refuse a mail without a recipient: so do the file and the log.
    if (!info.envelope.to?.length) throw new MailDeliveryError('the mail has no valid recipient');
    return { to: message.to, from: this.from, subject: message.subject, text: message.text, html: message.html, messageId: info.messageId };
  }
}
