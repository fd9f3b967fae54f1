/**
 * The page frame: language switcher, one small stylesheet (nonce'd for the CSP), readable on a
 * phone, no JavaScript needed.
 */
import { LOCALES, catalogue, type Locale, type Translator } from '../i18n/index.js';
import { html, Safe } from './html.js';

export interface PageContext {
  t: Translator;
  locale: Locale;
  nonce: string;
  /** URL of this page in another language (the switcher). */
  localeUrl: (locale: Locale) => string;
  clientName?: string;
}

const STYLE = `
*{box-sizing:border-box}body{margin:0;font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;background:#f4f6f8;color:#1c2430}
main{max-width:26rem;margin:0 auto;padding:1.5rem 1rem}
.card{background:#fff;border-radius:12px;padding:1.5rem;box-shadow:0 1px 3px rgba(0,0,0,.12)}
h1{font-size:1.4rem;margin:0 0 1rem}label{display:block;font-weight:600;margin:.75rem 0 .25rem}
input[type=text],input[type=password],input[type=email],input[type=tel]{width:100%;padding:.7rem;font-size:1rem;border:1px solid #8a96a3;border-radius:8px}
.check{display:flex;gap:.5rem;align-items:center;margin:.75rem 0;font-weight:400}
button,.button{display:block;width:100%;margin-top:1rem;padding:.8rem;font-size:1rem;font-weight:600;border:0;border-radius:8px;background:#0b5cad;color:#fff;text-align:center;text-decoration:none;cursor:pointer}
button.secondary,.button.secondary{background:#e6ebf0;color:#1c2430}
[role=alert]{background:#fdecea;border-left:4px solid #c62828;padding:.75rem;margin:0 0 1rem;border-radius:4px}
.notice{font-size:.9rem;color:#4a5563;margin-top:1rem}.who{color:#4a5563;margin:-.5rem 0 1rem;word-break:break-all}
nav.lang{text-align:center;margin-top:1rem;font-size:.9rem}nav.lang a{margin:0 .4rem;color:#0b5cad}
ul.choices{list-style:none;padding:0;margin:0}ul.choices li{margin:.5rem 0}
a{color:#0b5cad}
form.inline{margin:0}button.link{display:inline;width:auto;margin:1rem 0 0;padding:0;background:none;color:#0b5cad;font-weight:400;text-decoration:underline}
aside.sign-in-notice{background:#fff8e1;border-left:4px solid #a15c00;padding:.25rem .75rem;margin:0 0 1rem;border-radius:4px}aside.sign-in-notice p{margin:.5rem 0}
.upstream-way form{margin:0}button.upstream[data-icon]::before{content:"";display:inline-block;width:.7rem;height:.7rem;border-radius:50%;margin-right:.5rem;vertical-align:middle}
button.upstream[data-icon=google]::before{background:#4285f4}button.upstream[data-icon=itsme]::before{background:#ff4612}
h2{font-size:1.1rem;margin:1.25rem 0 .5rem}pre{white-space:pre-wrap;overflow-wrap:anywhere;background:#eef1f4;padding:.6rem;border-radius:6px;font-size:.9rem}
`;

/** Each language in its own name: the current one in bold, the others as links to this page in them. */
export function languageSwitcher(pc: PageContext): Safe[] {
  return LOCALES.map((l) =>
    l === pc.locale ? html`<strong lang="${l}">${catalogue(l)['lang.name']}</strong>` : html`<a href="${pc.localeUrl(l)}" lang="${l}" hreflang="${l}">${catalogue(l)['lang.name']}</a>`,
  );
}

/**
 * A whole HTML document: the language, the head every Sesam page carries (viewport, no referrer,
 * the title, one stylesheet nonce'd for the CSP, and `head` extras) and `body`.
 */
export function htmlDocument(pc: PageContext, options: { title: string; style: string; head?: Safe | string; body: Safe }): string {
  return `<!doctype html>${html`<html lang="${pc.locale}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>${options.title}</title>
<style nonce="${pc.nonce}">${new Safe(options.style)}</style>
${options.head ?? ''}
</head>
<body>
${options.body}
</body>
</html>`}`;
}

export function page(pc: PageContext, title: string, body: Safe): string {
  return htmlDocument(pc, {
    title: `${title} · Sesam`,
    style: STYLE,
    body: html`<main>
<div class="card">
${pc.clientName ? html`<p class="who">${pc.t('common.signInTo', { client: pc.clientName })}</p>` : ''}
${body}
</div>
<nav class="lang" aria-label="${pc.t('lang.switch')}">${languageSwitcher(pc)}</nav>
</main>`,
  });
}

export function alert(message: string | undefined): Safe | string {
  return message ? html`<div role="alert">${message}</div>` : '';
}

/** A page that only says what went wrong, in an alert, with `extra` below it. */
export function errorPage(pc: PageContext, message: string, extra: Safe | string = ''): string {
  return page(pc, pc.t('error.title'), html`<h1>${pc.t('error.title')}</h1><div role="alert"><p>${message}</p></div>${extra}`);
}
