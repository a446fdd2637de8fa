import { afterEach, describe, expect, it } from 'vitest';
import { setLanguage } from '../src/i18n';
import { clockOffset, formatCountdown, formatDate, formatDateTime, formatDay, formatDayField, formatDuration, formatSent, formatStamp, parseDayField, remainingMs, serverNow } from '../src/time';

afterEach(() => setLanguage('tr'));

describe('countdown math', () => {
  it('measures the server clock offset from the Inbox', () => {
    expect(clockOffset(1_000_500, 1_000_000)).toBe(500);
    expect(clockOffset(999_000, 1_000_000)).toBe(-1000);
    expect(clockOffset(0, 1_000_000)).toBe(0); // no server time: trust the local clock
    expect(serverNow(500, 1_000_000)).toBe(1_000_500);
  });

  it('counts down to expires_at on the server clock', () => {
    const local = 1_000_000;
    // The server is 30 s ahead: an offer expiring 2 minutes after the server's now has 120 s.
    const offset = 30_000;
    const expires = local + offset + 120_000;
    expect(remainingMs(expires, offset, local)).toBe(120_000);
    expect(remainingMs(expires, offset, local + 119_000)).toBe(1_000);
    expect(remainingMs(expires, offset, local + 200_000)).toBe(0); // never negative
    // Ignoring the offset would show 30 s too many.
    expect(remainingMs(expires, 0, local)).toBe(150_000);
  });

  it('formats countdowns as m:ss, rounding up', () => {
    expect(formatCountdown(120_000)).toBe('2:00');
    expect(formatCountdown(65_000)).toBe('1:05');
    expect(formatCountdown(59_001)).toBe('1:00');
    expect(formatCountdown(500)).toBe('0:01');
    expect(formatCountdown(0)).toBe('0:00');
    expect(formatCountdown(-5)).toBe('0:00');
    expect(formatCountdown(3_725_000)).toBe('1:02:05');
  });

  it('formats waiting times in the chosen language', () => {
    expect(formatDuration(3_000)).toBe('şimdi');
    expect(formatDuration(45_000)).toBe('45 sn');
    expect(formatDuration(3 * 60_000 + 5_000)).toBe('3 dk');
    expect(formatDuration(65 * 60_000)).toBe('1 sa 5 dk');
    expect(formatDuration(2 * 3600_000)).toBe('2 sa');
    expect(formatDuration(50 * 3600_000)).toBe('2 g');
    setLanguage('en');
    expect(formatDuration(65 * 60_000)).toBe('1h 5m');
  });
});

describe('a message shows the customer\'s time', () => {
  it('is the clock when it was sent the day it arrived, and the date too when not', () => {
    const arrived = new Date(2026, 11, 1, 10, 8).getTime();
    const sameDay = new Date(2026, 11, 1, 9, 58).getTime();
    expect(formatSent(sameDay, arrived)).toBe('09:58');
    const dayBefore = arrived - 25 * 3600 * 1000; // a redelivery a day late
    expect(formatSent(dayBefore, arrived)).toBe(formatDateTime(dayBefore));
    expect(formatSent(dayBefore, arrived)).toContain('09:08');
    expect(formatSent(undefined, arrived)).toBe('10:08'); // an older cache without sent_at
  });
});

describe('dates in every build', () => {
  it('writes Turkish dates dd.MM.yyyy with a 24-hour clock, not by the web view\'s locale data', () => {
    const t = new Date(2026, 2, 7, 21, 5).getTime();
    expect(formatDate(t)).toBe('07.03.2026');
    expect(formatDateTime(t)).toBe('07.03.2026 21:05');
    expect(formatStamp(t, new Date(2026, 2, 9).getTime())).toBe('07.03.2026');
    expect(formatDay(t, new Date(2026, 5, 1).getTime())).toBe('7 Mart 2026');
    setLanguage('en');
    expect(formatDateTime(t)).toBe('07/03/2026 21:05');
    expect(formatDay(t, new Date(2026, 5, 1).getTime())).toBe('7 March 2026');
  });
});

describe('date fields', () => {
  afterEach(() => setLanguage('tr'));
  it('show a day as dd.MM.yyyy (dd/MM/yyyy in English) and read what is typed back as YYYY-MM-DD', () => {
    setLanguage('tr');
    expect(formatDayField('2026-03-05')).toBe('05.03.2026');
    expect(parseDayField('5.3.2026')).toBe('2026-03-05');
    expect(parseDayField('05/03/2026')).toBe('2026-03-05');
    expect(parseDayField('')).toBe('');
    expect(parseDayField('31.02.2026')).toBeNull(); // no such day
    expect(parseDayField('05.03.')).toBeNull(); // not finished
    setLanguage('en');
    expect(formatDayField('2026-03-05')).toBe('05/03/2026');
  });
});
