/** What every SMS transport shares; re-exported by `sms.ts`, the module to import. */

export interface SmsMessage {
  /** The recipient in E.164 form, e.g. +32470123456. */
  to: string;
  text: string;
}

export interface SmsTransport {
  /** Resolves once the message is handed over; rejects with SmsDeliveryError otherwise. */
  send(message: SmsMessage): Promise<void>;
}

/**
 * A message could not be handed over. The message never contains the SMS text (so never the
 * code), the recipient or the gateway's credentials: it is safe to log and to show to an operator.
 */
export class SmsDeliveryError extends Error {
  constructor(
    message: string,
    /** The gateway's HTTP status, when it answered. */
    public readonly status?: number,
  ) {
    super(message);
    this.name = 'SmsDeliveryError';
  }
}
