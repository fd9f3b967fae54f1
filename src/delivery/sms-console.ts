/** Development transport: the SMS goes to the log (so does the code in it). */
import type { Logger } from '../logger.js';
import type { SmsMessage, SmsTransport } from './sms-types.js';

export class ConsoleSmsTransport implements SmsTransport {
  constructor(private readonly logger: Logger) {}

  async send(message: SmsMessage): Promise<void> {
    this.logger.info({ sms: { to: message.to, text: message.text } }, 'SMS (console transport, not sent)');
  }
}
