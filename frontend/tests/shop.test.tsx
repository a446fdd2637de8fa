// The shop side panel over recorded answers of the real app against a real santrald with a
// Shopify store connected (shop.ayse.json): the customer's orders found by her phone, the
// tracking link and a product sent, an order cancelled only after confirming (and refused the
// second time in Shopify's words), a search by order number, the store unreachable.

import { afterEach, describe, expect, it } from 'vitest';
import { setLanguage } from '../src/i18n';
import { formatMoney } from '../src/components/ShopPanel';
import { describeEntry } from '../src/logic/timeline';
import { click, mount, settle, typeInto, type Mounted } from './helpers';

let m: Mounted | null = null;
afterEach(() => {
  m?.unmount();
  m = null;
  localStorage.clear();
  setLanguage('tr');
});

async function openPanel(): Promise<Mounted> {
  m = await mount('shop.ayse', 'online');
  await m.advance('customer-asks');
  await click(m.get(`conversation-row-${m.replay.ids.conv}`));
  // Closed, the panel asks no store anything.
  expect(m.replay.calls.some((c) => c.method === 'ShopOrders')).toBe(false);
  await click(m.get('shop-toggle'));
  return m;
}

const orders = (m: Mounted) => [...m.root.querySelectorAll<HTMLElement>('[data-testid="shop-order"]')];

describe('shop panel', () => {
  it('shows the customer\'s orders with status, payment, items, total and the tracking link', async () => {
    const m = await openPanel();
    const list = orders(m);
    expect(list.map((o) => o.dataset.orderNumber)).toEqual(['#1057', '#1042']);
    const shipped = list[1];
    expect(shipped.querySelector('[data-testid="shop-order-status"]')?.textContent).toBe('Kargoda');
    expect(shipped.querySelector('[data-testid="shop-order-payment"]')?.textContent).toBe('Ödendi');
    expect(shipped.querySelector('[data-testid="shop-order-total"]')?.textContent?.replace(/\s/g, ' ')).toBe('₺1.249,90');
    expect(shipped.textContent).toContain('2 × Türk Kahvesi Orta Kavrulmuş 250 g');
    expect(shipped.querySelector('[data-testid="shop-order-carrier"]')?.textContent).toBe('Yurtiçi Kargo');
    const link = shipped.querySelector<HTMLAnchorElement>('[data-testid="shop-order-tracking-link"]');
    expect(link?.textContent).toBe('304918277651');
    expect(link?.href).toBe('https://www.yurticikargo.com/tr/online-servisler/gonderi-sorgula?code=304918277651');
    expect(list[0].querySelector('[data-testid="shop-order-status"]')?.textContent).toBe('Hazırlanıyor');
    expect(m.replay.misses).toEqual([]);
  });

  it('sends the tracking link as the agent\'s reply', async () => {
    const m = await openPanel();
    await click(orders(m)[1].querySelector('[data-testid="shop-send-tracking"]')!);
    expect(m.replay.step).toBe('tracking-sent');
    expect(m.replay.misses).toEqual([]);
  });

  it('finds a product and sends it into the chat', async () => {
    const m = await openPanel();
    await m.advance('products');
    await typeInto(m.get('shop-product-query'), 'termos');
    await click(m.get('shop-product-search'));
    const p = m.get('shop-product');
    expect(p.textContent).toContain('Çelik Termos 500 ml');
    expect(p.querySelector('[data-testid="shop-product-price"]')?.textContent?.replace(/\s/g, ' ')).toBe('₺899,90');
    await click(p.querySelector('[data-testid="shop-send-product"]')!);
    expect(m.replay.step).toBe('product-sent');
    await settle();
    expect(m.root.textContent).toContain('Ürün sohbete gönderildi.');
    expect(m.replay.misses).toEqual([]);
  });

  it('cancels an order only after confirmation, then shows Shopify\'s refusal in its words', async () => {
    const m = await openPanel();
    await m.advance('product-sent');
    const first = orders(m)[0];
    await click(first.querySelector('[data-testid="shop-cancel"]')!);
    // Asked, not done: nothing reached the store yet.
    expect(m.get('shop-confirm-question').textContent).toBe('#1057 numaralı sipariş iptal edilsin mi? Bu işlem geri alınamaz.');
    expect(m.replay.calls.some((c) => c.method === 'ShopOrderAction')).toBe(false);
    await click(m.get('shop-confirm-no'));
    expect(m.query('shop-confirm')).toBeNull();
    await click(orders(m)[0].querySelector('[data-testid="shop-cancel"]')!);
    await click(m.get('shop-confirm-yes'));
    expect(m.replay.step).toBe('cancelled');
    await settle();
    expect(orders(m)[0].dataset.status).toBe('cancelled');
    expect(orders(m)[0].querySelector('[data-testid="shop-cancel"]')).toBeNull();
    const entry = m.root.querySelector<HTMLElement>('[data-kind="shop_order_action"]');
    expect(entry?.textContent).toContain('#1057 siparişini iptal etti (Anadolu Kahve)');
    expect(m.replay.misses).toEqual([]);
  });

  it('says the store is unreachable since when rather than spin', async () => {
    const m = await openPanel();
    await m.advance('unreachable');
    await typeInto(m.get('shop-order-number'), '1057');
    await click(m.get('shop-order-search'));
    const err = m.get('shop-store-error');
    expect(err.textContent).toMatch(/^Mağazaya \d\d:\d\d’den beri ulaşılamıyor\./);
    expect(m.query('shop-loading')).toBeNull();
    expect(m.replay.misses).toEqual([]);
  });

  it('looks an order up by its number', async () => {
    const m = await openPanel();
    await m.advance('by-number');
    await typeInto(m.get('shop-order-number'), '1042');
    await click(m.get('shop-order-search'));
    expect(orders(m).map((o) => o.dataset.orderNumber)).toEqual(['#1042']);
    await click(m.get('shop-show-customer'));
    expect(orders(m).length).toBe(2);
    expect(m.replay.misses).toEqual([]);
  });
});

describe('shop words', () => {
  it('writes amounts in the reader\'s language and records refusals in the timeline', () => {
    expect(formatMoney({ minor: 124990, currency: 'TRY' }).replace(/\s/g, ' ')).toBe('₺1.249,90');
    setLanguage('en');
    expect(formatMoney({ minor: 124990, currency: 'TRY' }).replace(/\s/g, ' ')).toBe('TRY 1,249.90');
    const refused = describeEntry(
      { id: 1, conversation_id: 1, at: 0, kind: 'shop_order_action', actor_id: 2, data: { action: 'cancel', number: '#1057', store: 'Anadolu Kahve', ok: false, error: 'Shopify refused: Order has already been cancelled' } },
      [{ id: 2, username: 'ayse', display_name: 'Ayşe Demir', role: 'agent', presence: 'online' } as never],
    );
    expect(refused.text).toBe('Ayşe Demir: the store refused the action on order #1057 (Anadolu Kahve)');
    expect(refused.details).toEqual(['Shopify refused: Order has already been cancelled']);
    expect(refused.tone).toBe('warning');
  });
});
