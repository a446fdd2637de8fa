import { afterEach, describe, expect, it } from 'vitest';
import { dictionaries, errorText, has, setLanguage, t } from '../src/i18n';
import { ERROR_CODES } from '../src/types';

afterEach(() => setLanguage('tr'));

describe('i18n', () => {
  it('has the same keys in Turkish and English', () => {
    const tr = Object.keys(dictionaries.tr).sort();
    const en = Object.keys(dictionaries.en).sort();
    expect(en).toEqual(tr);
  });

  it('has no empty translation', () => {
    for (const lang of ['tr', 'en'] as const) {
      for (const [k, v] of Object.entries(dictionaries[lang])) expect(v.trim(), `${lang}:${k}`).not.toBe('');
    }
  });

  it('uses the same placeholders in both languages', () => {
    const names = (s: string) => [...s.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();
    for (const k of Object.keys(dictionaries.tr) as Array<keyof typeof dictionaries.tr>) {
      expect(names(dictionaries.en[k]), k).toEqual(names(dictionaries.tr[k]));
    }
  });

  it('defaults to Turkish and uses the vendor page words', () => {
    expect(t('presence.online')).toBe('Çevrimiçi');
    expect(t('presence.break')).toBe('Mola');
    expect(t('tabs.queue')).toBe('Kuyruk');
    expect(t('tabs.ended')).toBe('Sonlandırılanlar');
    expect(t('conversation.transfer')).toBe('Aktar');
    expect(t('conversation.end')).toBe('Sonlandır');
    setLanguage('en');
    expect(t('presence.online')).toBe('Online');
  });

  it('fills placeholders', () => {
    expect(t('transfers.remaining', { t: '1:05' })).toBe('1:05 kaldı');
    setLanguage('en');
    expect(t('transfers.remaining', { t: '1:05' })).toBe('1:05 left');
  });

  it('translates every error code the server and the app send (generated from the Go codes)', () => {
    expect(ERROR_CODES.length).toBeGreaterThan(30);
    for (const code of ERROR_CODES) expect(has('err.' + code), code).toBe(true);
  });

  it('turns refusals into sentences, falling back to the message', () => {
    expect(errorText({ code: 'bad_credentials', message: 'wrong username or password' })).toBe('Kullanıcı adı veya şifre hatalı.');
    expect(errorText({ code: 'agent_on_break', message: 'Zeynep is on break' })).toContain('molada');
    expect(errorText({ code: 'offline', message: '' })).toContain('bağlantı yok');
    expect(errorText({ code: 'invalid_field', message: 'bad', field: 'note' })).toBe('Geçersiz değer: note.');
    expect(errorText({ code: 'some_new_code', message: 'Something new happened' })).toBe('Something new happened');
    expect(errorText({ code: '', message: '' })).toBe('Beklenmeyen bir hata oluştu.');
    setLanguage('en');
    expect(errorText({ code: 'queue_empty', message: 'x' })).toBe('No conversation is waiting in the queue.');
  });
});
