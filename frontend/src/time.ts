// Time arithmetic for waiting times and countdowns. The server's clock is the reference (offers
// expire by it), so the UI keeps the offset between Inbox.server_time and its own clock.

import { getLanguage, t } from './i18n';

/** serverTime − localTime, measured when the Inbox arrived. */
export function clockOffset(serverTime: number, localNow: number): number {
  return serverTime > 0 ? serverTime - localNow : 0;
}

/** The server's "now" estimated from the local clock. */
export function serverNow(offset: number, localNow: number = Date.now()): number {
  return localNow + offset;
}

/** Milliseconds left until expiresAt (server time), never below zero. */
export function remainingMs(expiresAt: number, offset: number, localNow: number = Date.now()): number {
  return Math.max(0, expiresAt - serverNow(offset, localNow));
}

/** A countdown as m:ss (or h:mm:ss past an hour); rounds up so 0:00 means really over. */
export function formatCountdown(ms: number): string {
  const total = Math.max(0, Math.ceil(ms / 1000));
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  const ss = String(s).padStart(2, '0');
  if (h > 0) return `${h}:${String(m).padStart(2, '0')}:${ss}`;
  return `${m}:${ss}`;
}

/** A short human duration for waiting times: "45 sn", "3 dk", "1 sa 5 dk", "2 g". */
export function formatDuration(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  if (s < 10) return t('duration.now');
  if (s < 60) return t('duration.s', { n: s });
  const m = Math.floor(s / 60);
  if (m < 60) return t('duration.m', { n: m });
  const h = Math.floor(m / 60);
  if (h < 24) return m % 60 === 0 ? t('duration.h', { n: h }) : t('duration.hm', { h, m: m % 60 });
  return t('duration.d', { n: Math.floor(h / 24) });
}

const pad = (n: number) => String(n).padStart(2, '0');

/** HH:MM in local time. */
export function formatClock(ms: number): string {
  const d = new Date(ms);
  return `${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

function sameDay(a: Date, b: Date): boolean {
  return a.getFullYear() === b.getFullYear() && a.getMonth() === b.getMonth() && a.getDate() === b.getDate();
}

// Dates are written by hand, not by the web view's Intl: WebKitGTK and WebView2 builds differ in
// the locale data they ship, and Turkish dates must read dd.MM.yyyy (24-hour clock) in every
// build. English follows en-GB (dd/MM/yyyy).
const MONTHS = {
  tr: ['Ocak', 'Şubat', 'Mart', 'Nisan', 'Mayıs', 'Haziran', 'Temmuz', 'Ağustos', 'Eylül', 'Ekim', 'Kasım', 'Aralık'],
  en: ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'],
};

/** dd.MM.yyyy (Turkish) or dd/MM/yyyy (English). */
export function formatDate(ms: number): string {
  const d = new Date(ms);
  const sep = getLanguage() === 'en' ? '/' : '.';
  return `${pad(d.getDate())}${sep}${pad(d.getMonth() + 1)}${sep}${d.getFullYear()}`;
}

/** A day label for timeline separators: Bugün / Dün / 12 Mart 2025. */
export function formatDay(ms: number, now: number = Date.now()): string {
  const d = new Date(ms);
  const today = new Date(now);
  if (sameDay(d, today)) return t('conversation.today');
  const y = new Date(now);
  y.setDate(y.getDate() - 1);
  if (sameDay(d, y)) return t('conversation.yesterday');
  return `${d.getDate()} ${MONTHS[getLanguage() === 'en' ? 'en' : 'tr'][d.getMonth()]} ${d.getFullYear()}`;
}

/** A compact stamp for list rows: HH:MM today, else the short date. */
export function formatStamp(ms: number, now: number = Date.now()): string {
  if (!ms) return '';
  const d = new Date(ms);
  if (sameDay(d, new Date(now))) return formatClock(ms);
  return formatDate(ms);
}

/** Date and time, for details panels. */
export function formatDateTime(ms: number): string {
  if (!ms) return '';
  return `${formatDate(ms)} ${formatClock(ms)}`;
}

/** When a message was sent, as its bubble shows it: HH:MM, with the date too when it was sent
 * on another day than it arrived (a provider's redelivery days late sits among that day's
 * messages, but keeps the customer's time). */
export function formatSent(sentAt: number | undefined, createdAt: number): string {
  const sent = sentAt || createdAt;
  return sameDay(new Date(sent), new Date(createdAt)) ? formatClock(sent) : formatDateTime(sent);
}

/** A YYYY-MM-DD day as a date field shows it: the way formatDate writes it. */
export function formatDayField(day: string): string {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(day);
  if (!m) return '';
  const sep = getLanguage() === 'en' ? '/' : '.';
  return `${m[3]}${sep}${m[2]}${sep}${m[1]}`;
}

/** What was typed in a date field (day, month, year; '.', '/' or '-' between) as YYYY-MM-DD;
 * '' for an empty field; null while it is not a real day yet. */
export function parseDayField(text: string): string | null {
  const s = text.trim();
  if (!s) return '';
  const m = /^(\d{1,2})[./-](\d{1,2})[./-](\d{4})$/.exec(s);
  if (!m) return null;
  const [d, mo, y] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const date = new Date(y, mo - 1, d);
  if (date.getFullYear() !== y || date.getMonth() !== mo - 1 || date.getDate() !== d) return null;
  return `${y}-${pad(mo)}-${pad(d)}`;
}

/** The local calendar day key (YYYY-MM-DD) of a time. */
export function dayKey(ms: number): string {
  const d = new Date(ms);
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
}

export const DAY_MS = 24 * 60 * 60 * 1000;
