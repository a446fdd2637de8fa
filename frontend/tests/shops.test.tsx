// Admins connect a store (shops.admin.json): the form sends only what was typed, the token is
// never shown, "test connection" says it works — and, with a wrong token, exactly what failed.

import { afterEach, describe, expect, it } from 'vitest';
import { setLanguage } from '../src/i18n';
import { change, click, mount, typeInto, type Mounted } from './helpers';

let m: Mounted | null = null;
afterEach(() => {
  m?.unmount();
  m = null;
  setLanguage('tr');
});

describe('stores screen (shops.admin.json)', () => {
  it('connects a store, tests it, and says exactly why a wrong token fails', async () => {
    m = await mount('shops.admin', 'signed-in');
    await click(m.get('settings-button'));
    await click(m.get('settings-shops'));
    expect(m.get('shops-empty').textContent).toBe('Bağlı mağaza yok.');
    await click(m.get('shop-store-add'));
    await change(m.get('shop-store-platform'), 'shopify');
    await typeInto(m.get('shop-store-name'), 'Anadolu Kahve');
    await typeInto(m.get('shop-store-url'), 'http://shop.test');
    await typeInto(m.get('shop-store-cred-access_token'), 'shpat_record');
    await click(m.get('shop-store-save'));
    expect(m.replay.step).toBe('connect');
    const id = m.replay.ids.store;
    const item = m.get(`shop-store-item-${id}`);
    expect(item.textContent).toContain('Anadolu Kahve');
    expect(item.textContent).toContain('Erişim anahtarı (access token)');
    expect(item.textContent).not.toContain('shpat_record');

    await click(m.get(`shop-store-test-${id}`));
    expect(m.replay.step).toBe('tested');
    expect(m.get(`shop-store-result-${id}`).textContent).toBe('Bağlantı çalışıyor.');

    await click(m.get(`shop-store-edit-${id}`));
    expect((m.get('shop-store-cred-access_token') as HTMLInputElement).value).toBe('');
    expect((m.get('shop-store-cred-access_token') as HTMLInputElement).placeholder).toContain('ayarlı');
    await typeInto(m.get('shop-store-cred-access_token'), 'shpat_wrong');
    await click(m.get('shop-store-save'));
    expect(m.replay.step).toBe('wrong-token');
    await click(m.get(`shop-store-test-${id}`));
    expect(m.replay.step).toBe('refused');
    const result = m.get(`shop-store-result-${id}`).textContent ?? '';
    expect(result).toContain('Mağaza Santral’in erişim bilgilerini reddetti');
    expect(result).toContain('(adım: test)');
    expect(result).toContain('HTTP 401');
    expect(result).toContain('Invalid API key or access token');
    expect(m.replay.misses).toEqual([]);
  });
});
