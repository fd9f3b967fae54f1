/** A time of day as Belgian users read it (Brussels time), in the page's language. */
export function clock(date: Date | number, locale: string): string {
  return new Date(date).toLocaleTimeString(`${locale}-BE`, { hour: '2-digit', minute: '2-digit', timeZone: 'Europe/Brussels' });
}
