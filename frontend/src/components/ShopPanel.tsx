// The shop in the conversation's side panel: the contact's orders in each connected store
// (number, date, status, payment, items, total, carrier, tracking number and link), a search
// by order number, product search with "send", and the order actions the server says this
// reader may take — each behind a confirmation. Everything is the server's answer: the panel
// decides nothing, it shows and asks.

import type { ComponentChildren } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { openExternal, toAppError } from '../bridge';
import { useController } from '../context';
import { errorText, getLanguage, has, t, type MessageKey } from '../i18n';
import { formatClock, formatDateTime } from '../time';
import type { Money, ShopOrder, ShopOrders, ShopPanel as Panel, ShopProductSearch, ShopStatus } from '../types';

/** An amount as the reader's language writes it: 1.249,90 ₺ / ₺1,249.90. */
export function formatMoney(m: Money): string {
  const locale = getLanguage() === 'en' ? 'en-GB' : 'tr-TR';
  try {
    return new Intl.NumberFormat(locale, { style: 'currency', currency: m.currency || 'TRY' }).format(m.minor / 100);
  } catch {
    return `${(m.minor / 100).toFixed(2)} ${m.currency}`;
  }
}

const label = (prefix: string, v: string) => (has(prefix + v) ? t((prefix + v) as MessageKey) : v);

const STATUSES: ShopStatus[] = ['pending', 'awaiting_payment', 'processing', 'shipped', 'delivered', 'cancelled', 'returned'];

/** A pending action waiting for the agent's confirmation. */
type Ask =
  | { kind: 'cancel'; store: ShopOrders; order: ShopOrder }
  | { kind: 'add_tracking'; store: ShopOrders; order: ShopOrder; carrier: string; tracking: string }
  | { kind: 'set_status'; store: ShopOrders; order: ShopOrder; status: ShopStatus };

// Whether the panel is open is the agent's choice, remembered on this machine: closed, it asks
// no store anything (a workspace without a shop pays nothing for it).
const OPEN_KEY = 'santral.shopPanel';

function storedOpen(): boolean {
  try {
    return typeof localStorage !== 'undefined' && localStorage.getItem(OPEN_KEY) === 'open';
  } catch {
    return false;
  }
}

export function ShopPanel({ conversationId, holder }: { conversationId: number; holder: boolean }) {
  const [open, setOpen] = useState(storedOpen);
  const toggle = () => {
    const next = !open;
    setOpen(next);
    try {
      localStorage.setItem(OPEN_KEY, next ? 'open' : 'closed');
    } catch {
      // no storage: the choice lasts this window
    }
  };
  return (
    <section class="shop" data-testid="shop-panel" data-open={open ? 'true' : 'false'}>
      <button type="button" class="section-title shop-toggle" data-testid="shop-toggle" aria-expanded={open} onClick={toggle}>
        {open ? '▾' : '▸'} {t('shop.title')}
      </button>
      {open ? <ShopBody conversationId={conversationId} holder={holder} /> : null}
    </section>
  );
}

function ShopBody({ conversationId, holder }: { conversationId: number; holder: boolean }) {
  const ctl = useController();
  const [panel, setPanel] = useState<Panel | null>(null);
  const [error, setError] = useState('');
  const [number, setNumber] = useState('');
  const [searched, setSearched] = useState('');
  const [seq, setSeq] = useState(0);

  useEffect(() => {
    let live = true;
    setPanel(null);
    setError('');
    ctl.shopOrders(conversationId, searched).then(
      (p) => live && setPanel(p),
      (e) => live && setError(errorText(toAppError(e))),
    );
    return () => {
      live = false;
    };
  }, [ctl, conversationId, searched, seq]);

  if (error) {
    return (
      <div class="form-error" role="alert" data-testid="shop-error">
        {error}
      </div>
    );
  }
  if (panel && (panel.stores ?? []).length === 0) {
    return (
      <div class="muted small" data-testid="shop-none">
        {t('shop.none')}
      </div>
    );
  }
  return (
    <div class="shop-body">
      <form
        class="shop-search"
        onSubmit={(e) => {
          e.preventDefault();
          setSearched(number.trim());
        }}
      >
        <input
          type="search"
          class="input input-sm"
          data-testid="shop-order-number"
          placeholder={t('shop.orderNumber')}
          aria-label={t('shop.orderNumber')}
          value={number}
          onInput={(e) => setNumber((e.target as HTMLInputElement).value)}
        />
        <button type="submit" class="btn btn-sm" data-testid="shop-order-search">
          {t('shop.search')}
        </button>
        {searched ? (
          <button
            type="button"
            class="btn btn-sm btn-ghost"
            data-testid="shop-show-customer"
            onClick={() => {
              setNumber('');
              setSearched('');
            }}
          >
            {t('shop.showCustomer')}
          </button>
        ) : null}
      </form>
      {panel == null ? (
        <div class="muted small" data-testid="shop-loading" aria-busy="true">
          {t('shop.loading')}
        </div>
      ) : (
        (panel.stores ?? []).map((st) => (
          <StoreOrders key={st.store_id} conversationId={conversationId} store={st} panel={panel} holder={holder} onChanged={() => setSeq((n) => n + 1)} />
        ))
      )}
      <Products conversationId={conversationId} holder={holder} />
    </div>
  );
}

function StoreOrders({ conversationId, store, panel, holder, onChanged }: { conversationId: number; store: ShopOrders; panel: Panel; holder: boolean; onChanged: () => void }) {
  const [ask, setAsk] = useState<Ask | null>(null);
  return (
    <div class="shop-store" data-testid={`shop-store-${store.store_id}`} data-platform={store.platform}>
      <div class="shop-store-name small muted">{store.store_name}</div>
      {store.error ? (
        <div class="notice notice-warn notice-action" data-testid="shop-store-error" role="status">
          <span>
            {store.unreachable_since ? t('shop.unreachableSince', { time: formatClock(store.unreachable_since) }) : errorText(store.error)}
            {store.error.code !== 'shop_unreachable' && store.error.message ? <span class="muted small"> {store.error.message}</span> : null}
          </span>
          <button type="button" class="btn btn-sm" data-testid="shop-retry" onClick={onChanged}>
            {t('shop.retry')}
          </button>
        </div>
      ) : (store.orders ?? []).length === 0 ? (
        <div class="muted small" data-testid="shop-no-orders">
          {panel.number ? t('shop.noOrderNumber', { number: panel.number }) : !panel.phone && !panel.email ? t('shop.noContact') : t('shop.noOrders')}
        </div>
      ) : (
        <ul class="shop-orders">
          {(store.orders ?? []).map((o) => (
            <OrderCard key={o.id} conversationId={conversationId} store={store} order={o} holder={holder} onAsk={setAsk}>
              {ask && ask.order.id === o.id ? <Confirm conversationId={conversationId} ask={ask} onChange={setAsk} onDone={onChanged} /> : null}
            </OrderCard>
          ))}
        </ul>
      )}
    </div>
  );
}

function OrderCard({ conversationId, store, order: o, holder, onAsk, children }: { conversationId: number; store: ShopOrders; order: ShopOrder; holder: boolean; onAsk: (a: Ask) => void; children?: ComponentChildren }) {
  const ctl = useController();
  const can = (a: string) => (store.actions ?? []).includes(a) && o.status !== 'cancelled';
  const sendTracking = () =>
    void ctl.send(conversationId, t('shop.trackingMessage', { number: o.number, carrier: o.carrier || '', tracking: o.tracking_number || '', url: o.tracking_url || '' }).trim());
  return (
    <li class="shop-order" data-testid="shop-order" data-order-number={o.number} data-status={o.status}>
      <div class="shop-order-head">
        <strong data-testid="shop-order-number-label">{t('shop.orderTitle', { number: o.number })}</strong>
        <span class={`shop-status shop-status-${o.status}`} data-testid="shop-order-status" title={o.status_text || ''}>
          {label('shop.status.', o.status)}
        </span>
      </div>
      <div class="small muted">{formatDateTime(o.created_at)}</div>
      <dl class="kv kv-compact">
        <dt>{t('shop.payment')}</dt>
        <dd data-testid="shop-order-payment">{label('shop.payment.', o.payment)}</dd>
        <dt>{t('shop.total')}</dt>
        <dd data-testid="shop-order-total">{formatMoney(o.total)}</dd>
        {o.carrier ? (
          <>
            <dt>{t('shop.carrier')}</dt>
            <dd data-testid="shop-order-carrier">{o.carrier}</dd>
          </>
        ) : null}
        {o.tracking_number ? (
          <>
            <dt>{t('shop.trackingNumber')}</dt>
            <dd data-testid="shop-order-tracking">
              {o.tracking_url ? (
                <a
                  href={o.tracking_url}
                  rel="noreferrer noopener"
                  data-testid="shop-order-tracking-link"
                  onClick={(e) => {
                    e.preventDefault();
                    openExternal(o.tracking_url ?? '');
                  }}
                >
                  {o.tracking_number}
                </a>
              ) : (
                o.tracking_number
              )}
            </dd>
          </>
        ) : null}
      </dl>
      <ul class="shop-items small">
        {(o.items ?? []).map((it, i) => (
          <li key={i}>
            {it.quantity} × {it.name}
            {it.variant ? ` (${it.variant})` : ''} — {formatMoney(it.unit_price)}
          </li>
        ))}
      </ul>
      <div class="shop-order-actions">
        {holder && o.tracking_url ? (
          <button type="button" class="btn btn-sm" data-testid="shop-send-tracking" onClick={sendTracking}>
            {t('shop.sendTracking')}
          </button>
        ) : null}
        {can('cancel') ? (
          <button type="button" class="btn btn-sm btn-danger-soft" data-testid="shop-cancel" onClick={() => onAsk({ kind: 'cancel', store, order: o })}>
            {t('shop.actionCancel')}
          </button>
        ) : null}
        {can('add_tracking') ? (
          <button type="button" class="btn btn-sm" data-testid="shop-add-tracking" onClick={() => onAsk({ kind: 'add_tracking', store, order: o, carrier: o.carrier || '', tracking: '' })}>
            {t('shop.actionAddTracking')}
          </button>
        ) : null}
        {can('set_status') ? (
          <button type="button" class="btn btn-sm" data-testid="shop-set-status" onClick={() => onAsk({ kind: 'set_status', store, order: o, status: o.status === 'unknown' ? 'processing' : o.status })}>
            {t('shop.actionSetStatus')}
          </button>
        ) : null}
      </div>
      {children}
    </li>
  );
}

/** The confirmation every order action goes through; nothing reaches the store before it. */
function Confirm({ conversationId, ask, onChange, onDone }: { conversationId: number; ask: Ask; onChange: (a: Ask | null) => void; onDone: () => void }) {
  const ctl = useController();
  const [notify, setNotify] = useState(true);
  const [busy, setBusy] = useState(false);
  const o = ask.order;
  const question =
    ask.kind === 'cancel'
      ? t('shop.confirmCancel', { number: o.number })
      : ask.kind === 'add_tracking'
        ? t('shop.confirmTracking', { number: o.number, carrier: ask.carrier, tracking: ask.tracking })
        : t('shop.confirmStatus', { number: o.number, status: label('shop.status.', ask.status) });
  const ready = ask.kind !== 'add_tracking' || ask.tracking.trim() !== '';
  const confirm = async () => {
    if (!ready || busy) return;
    setBusy(true);
    const res = await ctl.shopOrderAction(conversationId, {
      store_id: ask.store.store_id,
      order_id: o.id,
      number: o.number,
      action: ask.kind,
      status: ask.kind === 'set_status' ? ask.status : undefined,
      carrier: ask.kind === 'add_tracking' ? ask.carrier.trim() : undefined,
      tracking_number: ask.kind === 'add_tracking' ? ask.tracking.trim() : undefined,
      notify_customer: notify,
      confirm: true,
    } as Parameters<typeof ctl.shopOrderAction>[1]);
    setBusy(false);
    onChange(null);
    if (res) onDone();
  };
  return (
    <div class="notice notice-bad shop-confirm" role="alertdialog" aria-label={question} data-testid="shop-confirm" data-action={ask.kind}>
      {ask.kind === 'add_tracking' ? (
        <div class="shop-confirm-fields">
          <input
            class="input input-sm"
            data-testid="shop-confirm-carrier"
            placeholder={t('shop.carrier')}
            aria-label={t('shop.carrier')}
            value={ask.carrier}
            onInput={(e) => onChange({ ...ask, carrier: (e.target as HTMLInputElement).value })}
          />
          <input
            class="input input-sm"
            data-testid="shop-confirm-tracking"
            placeholder={t('shop.trackingNumber')}
            aria-label={t('shop.trackingNumber')}
            value={ask.tracking}
            onInput={(e) => onChange({ ...ask, tracking: (e.target as HTMLInputElement).value })}
          />
        </div>
      ) : null}
      {ask.kind === 'set_status' ? (
        <select class="input input-sm" data-testid="shop-confirm-status" aria-label={t('shop.status')} value={ask.status} onChange={(e) => onChange({ ...ask, status: (e.target as HTMLSelectElement).value as ShopStatus })}>
          {STATUSES.map((s) => (
            <option key={s} value={s}>
              {label('shop.status.', s)}
            </option>
          ))}
        </select>
      ) : null}
      <p data-testid="shop-confirm-question">{question}</p>
      <label class="small">
        <input type="checkbox" checked={notify} onChange={(e) => setNotify((e.target as HTMLInputElement).checked)} /> {t('shop.notify')}
      </label>
      <div class="shop-confirm-buttons">
        <button type="button" class="btn btn-sm" data-testid="shop-confirm-no" onClick={() => onChange(null)} disabled={busy}>
          {t('common.cancel')}
        </button>
        <button type="button" class="btn btn-sm btn-danger" data-testid="shop-confirm-yes" onClick={() => void confirm()} disabled={busy || !ready}>
          {t('shop.confirm')}
        </button>
      </div>
    </div>
  );
}

function Products({ conversationId, holder }: { conversationId: number; holder: boolean }) {
  const ctl = useController();
  const [query, setQuery] = useState('');
  const [result, setResult] = useState<ShopProductSearch | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState('');
  const [sending, setSending] = useState('');
  const search = async () => {
    if (!query.trim() || busy) return;
    setBusy(true);
    setError('');
    try {
      setResult(await ctl.shopProducts(conversationId, query.trim()));
    } catch (e) {
      setError(errorText(toAppError(e)));
    }
    setBusy(false);
  };
  const empty = result && (result.stores ?? []).every((s) => !s.error && (s.products ?? []).length === 0);
  return (
    <div class="shop-products" data-testid="shop-products">
      <h4 class="small">{t('shop.products')}</h4>
      <form
        class="shop-search"
        onSubmit={(e) => {
          e.preventDefault();
          void search();
        }}
      >
        <input
          type="search"
          class="input input-sm"
          data-testid="shop-product-query"
          placeholder={t('shop.productSearch')}
          aria-label={t('shop.productSearch')}
          value={query}
          onInput={(e) => setQuery((e.target as HTMLInputElement).value)}
        />
        <button type="submit" class="btn btn-sm" data-testid="shop-product-search" disabled={busy}>
          {t('shop.search')}
        </button>
      </form>
      {error ? (
        <div class="form-error" role="alert">
          {error}
        </div>
      ) : null}
      {empty ? <div class="muted small" data-testid="shop-no-products">{t('shop.noProducts')}</div> : null}
      {(result?.stores ?? []).map((st) =>
        st.error ? (
          <div key={st.store_id} class="notice notice-warn small" data-testid="shop-products-error">
            {st.unreachable_since ? t('shop.unreachableSince', { time: formatClock(st.unreachable_since) }) : errorText(st.error)}
          </div>
        ) : (
          <ul key={st.store_id} class="shop-product-list">
            {(st.products ?? []).map((p) => (
              <li key={p.id} class="shop-product" data-testid="shop-product" data-product-id={p.id}>
                {p.image_url ? <img src={p.image_url} alt="" class="shop-product-img" loading="lazy" /> : null}
                <div class="shop-product-info">
                  <div class="shop-product-name">{p.name}</div>
                  <div class="small">
                    <span data-testid="shop-product-price">{formatMoney(p.price)}</span>
                    {p.sku ? <span class="muted"> · {p.sku}</span> : null}
                    <span class="muted"> · {t('shop.stock', { n: p.stock })}</span>
                  </div>
                </div>
                {holder ? (
                  <button
                    type="button"
                    class="btn btn-sm btn-primary"
                    data-testid="shop-send-product"
                    disabled={sending === p.id}
                    onClick={async () => {
                      setSending(p.id);
                      await ctl.sendProduct(conversationId, st.store_id, p.id);
                      setSending('');
                    }}
                  >
                    {t('shop.sendProduct')}
                  </button>
                ) : null}
              </li>
            ))}
          </ul>
        ),
      )}
    </div>
  );
}
