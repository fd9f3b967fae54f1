/**
 * SMS delivery: the transport chosen by SMS_TRANSPORT.
 * - `outbox`: one JSON line per message in SMS_OUTBOX (development, tests, demos);
 * - `console`: the log, at info (development only: the codes end up in the log);
 * - `http`: a JSON POST to an SMS gateway (production).
 */
import type { Settings } from '../../config/settings.js';
import type { Logger } from '../logger.js';
import { ConsoleSmsTransport } from './sms-console.js';
import { HttpSmsTransport } from './sms-http.js';
import { OutboxSmsTransport } from './sms-outbox.js';
import type { SmsTransport } from './sms-types.js';

export { SmsDeliveryError, type SmsMessage, type SmsTransport } from './sms-types.js';

export function createSmsTransport(settings: Settings, logger: Logger): SmsTransport {
  const sms = settings.sms;
  switch (sms.transport) {
    case 'outbox':
      if (!settings.smsOutbox) throw new Error('SMS_OUTBOX is required when SMS_TRANSPORT=outbox');
      return new OutboxSmsTransport(settings.smsOutbox, sms.sender);
    case 'console':
      logger.warn('SMS_TRANSPORT=console: SMS are not sent, they are written to the log with their codes');
      return new ConsoleSmsTransport(logger);
    case 'http':
      if (!sms.httpUrl) throw new Error('SMS_HTTP_URL is required when SMS_TRANSPORT=http');
      return new HttpSmsTransport({ url: sms.httpUrl, authorization: sms.httpAuthorization, bodyTemplate: sms.httpBody });
    default:
      throw new Error(`Unknown SMS transport ${String(sms.transport satisfies never)}`);
  }
}
