/**
 * The mails Sesam sends, in the four languages: a plain-text part (what every mail client
 * shows) and a simple HTML part saying the same, every value escaped. TypeScript rather than
 * template files, so the build has nothing to copy. The texts never ask for a password and say
 * so (phishing mails imitate exactly these).
 */
import type { MailMessage } from './mail-types.js';

export const MAIL_LOCALES = ['fr', 'nl', 'de', 'en'] as const;
export type MailLocale = (typeof MAIL_LOCALES)[number];

/** Whom to ask: a tenant's name and its `contact` (empty: the generic "your employer"). */
export interface TenantContact {
  tenant: string;
  contact: string;
}

export type MailContent = Omit<MailMessage, 'to'>;

interface Texts {
  greeting: string;
  resetSubject: string;
  resetIntro: string;
  resetAction: string;
  resetButton: string;
  resetValidity: string;
  resetIgnore: string;
  adminSubject: string;
  adminIntro: string;
  adminAsk: string;
  changedSubject: string;
  changedIntro: string;
  changedSignedOut: string;
  changedNotYou: string;
  defaultContact: string;
  never: string;
  signature: string;
}

const TEXTS: Record<MailLocale, Texts> = {
  fr: {
    greeting: 'Bonjour,',
    resetSubject: 'Choisir un nouveau mot de passe Sesam',
    resetIntro: 'Quelqu’un, probablement vous, a demandé un nouveau mot de passe pour le compte Sesam « {login} ».',
    resetAction: 'Pour choisir un nouveau mot de passe, ouvrez ce lien :',
    resetButton: 'Choisir un nouveau mot de passe',
    resetValidity: 'Le lien est valable {minutes} minutes et ne fonctionne qu’une fois. Si vous avez activé une deuxième étape de connexion (SMS ou application), elle vous sera demandée.',
    resetIgnore: 'Si vous n’avez rien demandé, ignorez ce message : votre mot de passe reste le même.',
    adminSubject: 'Votre mot de passe Sesam',
    adminIntro: 'Quelqu’un, probablement vous, a demandé un nouveau mot de passe pour le compte Sesam « {login} ».',
    adminAsk: 'Votre employeur gère lui-même les mots de passe de ce compte. Pour en obtenir un nouveau, contactez :',
    changedSubject: 'Votre mot de passe Sesam a été modifié',
    changedIntro: 'Le mot de passe du compte Sesam « {login} » a été modifié le {date}.',
    changedSignedOut: 'Par sécurité, vous avez été déconnecté de vos autres appareils et applications : reconnectez-vous avec le nouveau mot de passe.',
    changedNotYou: 'Si ce n’était pas vous, contactez immédiatement :',
    defaultContact: 'votre employeur ou l’administrateur de votre organisation',
    never: 'Sesam ne vous demande jamais votre mot de passe par e-mail ou par SMS.',
    signature: 'Sesam',
  },
  nl: {
    greeting: 'Hallo,',
    resetSubject: 'Een nieuw Sesam-wachtwoord kiezen',
    resetIntro: 'Iemand, waarschijnlijk jij, vroeg een nieuw wachtwoord voor het Sesam-account "{login}".',
    resetAction: 'Open deze link om een nieuw wachtwoord te kiezen:',
    resetButton: 'Een nieuw wachtwoord kiezen',
    resetValidity: 'De link is {minutes} minuten geldig en werkt maar één keer. Als je een tweede aanmeldstap gebruikt (sms of app), wordt die gevraagd.',
    resetIgnore: 'Heb je niets gevraagd? Negeer dit bericht dan: je wachtwoord blijft hetzelfde.',
    adminSubject: 'Je Sesam-wachtwoord',
    adminIntro: 'Iemand, waarschijnlijk jij, vroeg een nieuw wachtwoord voor het Sesam-account "{login}".',
    adminAsk: 'Je werkgever beheert de wachtwoorden van dit account zelf. Voor een nieuw wachtwoord neem je contact op met:',
    changedSubject: 'Je Sesam-wachtwoord werd gewijzigd',
    changedIntro: 'Het wachtwoord van het Sesam-account "{login}" werd gewijzigd op {date}.',
    changedSignedOut: 'Voor je veiligheid werd je afgemeld op je andere toestellen en toepassingen: meld je opnieuw aan met het nieuwe wachtwoord.',
    changedNotYou: 'Was jij dit niet? Neem dan meteen contact op met:',
    defaultContact: 'je werkgever of de beheerder van je organisatie',
    never: 'Sesam vraagt je wachtwoord nooit via e-mail of sms.',
    signature: 'Sesam',
  },
  de: {
    greeting: 'Guten Tag,',
    resetSubject: 'Ein neues Sesam-Passwort wählen',
    resetIntro: 'Jemand, wahrscheinlich Sie, hat ein neues Passwort für das Sesam-Konto „{login}“ angefordert.',
    resetAction: 'Öffnen Sie diesen Link, um ein neues Passwort zu wählen:',
    resetButton: 'Ein neues Passwort wählen',
    resetValidity: 'Der Link ist {minutes} Minuten gültig und funktioniert nur einmal. Wenn Sie einen zweiten Anmeldeschritt nutzen (SMS oder App), wird er abgefragt.',
    resetIgnore: 'Wenn Sie nichts angefordert haben, ignorieren Sie diese Nachricht: Ihr Passwort bleibt unverändert.',
    adminSubject: 'Ihr Sesam-Passwort',
    adminIntro: 'Jemand, wahrscheinlich Sie, hat ein neues Passwort für das Sesam-Konto „{login}“ angefordert.',
    adminAsk: 'Ihr Arbeitgeber verwaltet die Passwörter dieses Kontos selbst. Für ein neues Passwort wenden Sie sich an:',
    changedSubject: 'Ihr Sesam-Passwort wurde geändert',
    changedIntro: 'Das Passwort des Sesam-Kontos „{login}“ wurde am {date} geändert.',
    changedSignedOut: 'Zu Ihrer Sicherheit wurden Sie auf Ihren anderen Geräten und Anwendungen abgemeldet: Melden Sie sich mit dem neuen Passwort wieder an.',
    changedNotYou: 'Wenn Sie das nicht waren, wenden Sie sich sofort an:',
    defaultContact: 'Ihren Arbeitgeber oder die Administration Ihrer Organisation',
    never: 'Sesam fragt nie per E-Mail oder SMS nach Ihrem Passwort.',
    signature: 'Sesam',
  },
  en: {
    greeting: 'Hello,',
    resetSubject: 'Choose a new Sesam password',
    resetIntro: 'Someone, probably you, asked for a new password for the Sesam account "{login}".',
    resetAction: 'To choose a new password, open this link:',
    resetButton: 'Choose a new password',
    resetValidity: 'The link is valid for {minutes} minutes and works once. If you use a second sign-in step (SMS or app), it will be asked.',
    resetIgnore: 'If you did not ask for anything, ignore this message: your password stays the same.',
    adminSubject: 'Your Sesam password',
    adminIntro: 'Someone, probably you, asked for a new password for the Sesam account "{login}".',
    adminAsk: 'Your employer manages the passwords of this account. To get a new one, contact:',
    changedSubject: 'Your Sesam password was changed',
    changedIntro: 'The password of the Sesam account "{login}" was changed on {date}.',
    changedSignedOut: 'For your security, you were signed out of your other devices and apps: sign in again with the new password.',
    changedNotYou: 'If it was not you, contact at once:',
    defaultContact: 'your employer or the administrator of your organisation',
    never: 'Sesam never asks for your password by e-mail or SMS.',
    signature: 'Sesam',
  },
};

export function isMailLocale(value: unknown): value is MailLocale {
  return typeof value === 'string' && (MAIL_LOCALES as readonly string[]).includes(value);
}

/** The mail with the single-use link to choose a new password. */
export function resetLinkMail(locale: MailLocale, v: { login: string; link: string; minutes: number }): MailContent {
  const t = TEXTS[locale];
  const intro = fill(t.resetIntro, { login: v.login });
  const validity = fill(t.resetValidity, { minutes: v.minutes });
  return {
    subject: t.resetSubject,
    text: lines(t.greeting, '', intro, '', t.resetAction, v.link, '', validity, '', t.resetIgnore, '', t.never, '', `-- ${t.signature}`),
    html: page(
      locale,
      t.resetSubject,
      `<p>${esc(t.greeting)}</p><p>${esc(intro)}</p><p>${esc(t.resetAction)}</p>` +
        `<p><a href="${esc(v.link)}" style="display:inline-block;padding:10px 16px;background:#0b5cad;color:#ffffff;text-decoration:none;border-radius:6px;font-weight:600">${esc(t.resetButton)}</a></p>` +
        `<p style="font-size:13px;color:#4a5563;word-break:break-all">${esc(v.link)}</p>` +
        `<p>${esc(validity)}</p><p>${esc(t.resetIgnore)}</p>${footer(t)}`,
    ),
  };
}

/** The answer to a request for a user whose employer manages passwords: whom to ask, no link. */
export function resetByAdminMail(locale: MailLocale, v: { login: string; contacts: TenantContact[] }): MailContent {
  const t = TEXTS[locale];
  const intro = fill(t.adminIntro, { login: v.login });
  const contacts = contactLines(t, v.contacts);
  return {
    subject: t.adminSubject,
    text: lines(t.greeting, '', intro, '', t.adminAsk, ...contacts.map((c) => `- ${c}`), '', t.never, '', `-- ${t.signature}`),
    html: page(locale, t.adminSubject, `<p>${esc(t.greeting)}</p><p>${esc(intro)}</p><p>${esc(t.adminAsk)}</p>${list(contacts)}${footer(t)}`),
  };
}

/** "Your password was changed", after every change of one's own password. */
export function passwordChangedMail(locale: MailLocale, v: { login: string; at: Date; contacts: TenantContact[] }): MailContent {
  const t = TEXTS[locale];
  const intro = fill(t.changedIntro, { login: v.login, date: when(v.at, locale) });
  const contacts = contactLines(t, v.contacts);
  return {
    subject: t.changedSubject,
    text: lines(t.greeting, '', intro, '', t.changedSignedOut, '', t.changedNotYou, ...contacts.map((c) => `- ${c}`), '', t.never, '', `-- ${t.signature}`),
    html: page(locale, t.changedSubject, `<p>${esc(t.greeting)}</p><p>${esc(intro)}</p><p>${esc(t.changedSignedOut)}</p><p>${esc(t.changedNotYou)}</p>${list(contacts)}${footer(t)}`),
  };
}

/** One line per tenant ("Acme: hr@acme.be"), or the generic contact when none is named. */
function contactLines(t: Texts, contacts: TenantContact[]): string[] {
  const named = contacts.map((c) => (c.contact.trim() ? `${c.tenant}: ${c.contact.trim()}` : `${c.tenant}: ${t.defaultContact}`));
  return named.length ? [...new Set(named)] : [t.defaultContact];
}

/** A date and time as Belgian users read it (Brussels time), in the mail's language. */
function when(at: Date, locale: MailLocale): string {
  return at.toLocaleString(`${locale}-BE`, { dateStyle: 'long', timeStyle: 'short', timeZone: 'Europe/Brussels' });
}

function fill(template: string, values: Record<string, string | number>): string {
  return template.replace(/\{(\w+)\}/g, (m, name: string) => (name in values ? String(values[name]) : m));
}

function lines(...parts: string[]): string {
  return parts.join('\n') + '\n';
}

function list(items: string[]): string {
  return `<ul>${items.map((i) => `<li>${esc(i)}</li>`).join('')}</ul>`;
}

function footer(t: Texts): string {
  return `<p style="font-size:13px;color:#4a5563">${esc(t.never)}</p><p>${esc(t.signature)}</p>`;
}

function page(locale: MailLocale, title: string, body: string): string {
  return (
    `<!doctype html><html lang="${locale}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>${esc(title)}</title></head>` +
    `<body style="margin:0;padding:16px;background:#f4f6f8;font:16px/1.5 system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;color:#1c2430">` +
    `<div style="max-width:560px;margin:0 auto;background:#ffffff;border-radius:12px;padding:24px">${body}</div></body></html>`
  );
}

function esc(value: string): string {
  return value.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}
