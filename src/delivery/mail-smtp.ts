/**
 * Production transport: SMTP through nodemailer, to the server of SMTP_URL (`smtp://` upgrades
 * with STARTTLS when the server offers it, `smtps://` is TLS from the start). One connection per
 * mail (a few an hour: nothing to keep open at a stop), with bounded timeouts: a mail is sent
 * after the page answered, but a stuck server must not pile up sockets.
 */
import nodemailer from 'nodemailer';
import { MailDeliveryError, type MailMessage, type MailTransport } from './mail-types.js';

export interface SmtpMailOptions {
  url: string;
  from: string;
}

export class SmtpMailTransport implements MailTransport {
  private readonly transporter;

  constructor(options: SmtpMailOptions) {
    this.transporter = nodemailer.createTransport(
      {
        url: options.url,
        connectionTimeout: 10_000,
        greetingTimeout: 10_000,
        socketTimeout: 30_000,
        disableFileAccess: true,
        disableUrlAccess: true,
      },
      { from: options.from },
    );
  }

  async send(message: MailMessage): Promise<void> {
    try {
      await this.transporter.sendMail({ to: message.to, subject: message.subject, text: message.text, html: message.html });
    } catch (err) {
      // Only the error's code and the server's reply code: never its text (some servers quote the
      // message or the recipient), the URL (it holds the password) or the body.
      const e = err as { code?: unknown; responseCode?: unknown };
      const code = typeof e.code === 'string' && /^[A-Z_]{1,40}$/.test(e.code) ? e.code : 'error';
      const responseCode = typeof e.responseCode === 'number' ? e.responseCode : undefined;
      throw new MailDeliveryError(`SMTP delivery failed (${code}${responseCode ? ` ${responseCode}` : ''})`, responseCode);
    }
  }
}
