/** What every mail transport shares; re-exported by `mail.ts`, the module to import. */

export interface MailMessage {
  /** One recipient address. */
  to: string;
  subject: string;
  /** The plain-text part (every mail has one). */
  text: string;
  /** The HTML part, saying the same as the text. */
  html: string;
}

export interface MailTransport {
  /** Resolves once the message is handed over; rejects with MailDeliveryError otherwise. */
  send(message: MailMessage): Promise<void>;
}

/**
 * A message could not be handed over. The message never contains the mail's body (so never a
 * reset link), the recipient or the server's credentials: it is safe to log.
 */
export class MailDeliveryError extends Error {
  constructor(
    message: string,
    /** The SMTP server's reply code, when it answered. */
    public readonly responseCode?: number,
  ) {
    super(message);
    this.name = 'MailDeliveryError';
  }
}
