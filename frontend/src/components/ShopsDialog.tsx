// Admins: the connected stores (Shopify, Ticimax, Ideasoft). The list shows each store's state
// (on or off, unreachable since when), which credentials are set, and a "test connection" that
// says exactly what failed; the form connects or changes one. Credentials are write-only: the
// server gives their names only; only what the admin types is sent.

import { useEffect, useState } from 'preact/hooks';
import { toAppError } from '../bridge';
import { useApp, useController } from '../context';
import { errorText, has, t, type MessageKey } from '../i18n';
import { formatClock } from '../time';
import type { Role, ShopStore, ShopStoreRequest, ShopTestResult } from '../types';
import { Dialog } from './Dialog';

const PLATFORMS = ['shopify', 'ticimax', 'ideasoft'] as const;
type Platform = (typeof PLATFORMS)[number];

/** The credentials each platform takes (the server checks them too). */
export const SHOP_CREDENTIALS: Record<Platform, string[]> = {
  shopify: ['access_token', 'client_id', 'client_secret'],
  ticimax: ['auth_code'],
  ideasoft: ['client_id', 'client_secret'],
};

const ROLES: Role[] = ['admin', 'supervisor', 'agent'];
const word = (prefix: string, v: string) => (has(prefix + v) ? t((prefix + v) as MessageKey) : v);

interface Form {
  id: number;
  platform: Platform;
  name: string;
  base_url: string;
  api_version: string;
  redirect_uri: string;
  enabled: boolean;
  action_roles: Role[];
  credentials: Record<string, string>;
  set: string[]; // names already stored
}

function formOf(s?: ShopStore): Form {
  if (!s) return { id: 0, platform: 'shopify', name: '', base_url: '', api_version: '', redirect_uri: '', enabled: true, action_roles: ['admin', 'supervisor'], credentials: {}, set: [] };
  return {
    id: s.id, platform: s.platform as Platform, name: s.name, base_url: s.base_url, api_version: s.api_version ?? '', redirect_uri: s.redirect_uri ?? '',
    enabled: s.enabled, action_roles: [...(s.action_roles ?? [])], credentials: {}, set: s.credentials ?? [],
  };
}

/** The request for a form: only the credentials typed are sent. */
export function shopRequest(f: Form): ShopStoreRequest {
  const credentials: Record<string, string> = {};
  for (const [k, v] of Object.entries(f.credentials)) if (v.trim() !== '') credentials[k] = v.trim();
  return {
    platform: f.id === 0 ? f.platform : undefined,
    name: f.name.trim() || undefined,
    base_url: f.base_url.trim() || undefined,
    api_version: f.api_version.trim() || undefined,
    redirect_uri: f.redirect_uri.trim() || undefined,
    enabled: f.enabled,
    action_roles: f.action_roles,
    credentials: Object.keys(credentials).length ? credentials : undefined,
  } as ShopStoreRequest;
}

export function ShopsDialog() {
  const ctl = useController();
  const isAdmin = useApp((s) => s.session?.user?.role === 'admin');
  const [list, setList] = useState<ShopStore[] | null>(null);
  const [error, setError] = useState('');
  const [form, setForm] = useState<Form | null>(null);
  const [tests, setTests] = useState<Record<number, ShopTestResult | 'busy'>>({});

  const load = async () => {
    setError('');
    try {
      setList(await ctl.shopStores());
    } catch (e) {
      setError(errorText(toAppError(e)));
      setList([]);
    }
  };
  useEffect(() => {
    if (isAdmin) void load();
  }, [isAdmin]);

  const test = async (id: number) => {
    setTests((x) => ({ ...x, [id]: 'busy' }));
    try {
      const r = await ctl.testShopStore(id);
      setTests((x) => ({ ...x, [id]: r }));
    } catch (e) {
      const err = toAppError(e);
      setTests((x) => ({ ...x, [id]: { ok: false, code: err.code, message: errorText(err) } }));
    }
  };

  return (
    <Dialog title={t('shops.title')} testId="shops-dialog" onClose={() => ctl.closeDialog()} width={600}>
      {!isAdmin ? (
        <div class="form-error" role="alert">
          {t('channels.adminOnly')}
        </div>
      ) : form ? (
        <ShopFormView
          form={form}
          onChange={setForm}
          onSaved={(s) => {
            setList((l) => [...(l ?? []).filter((x) => x.id !== s.id), s].sort((a, b) => a.id - b.id));
            setForm(null);
            ctl.toast('success', t('shops.saved'));
          }}
        />
      ) : (
        <div class="channels">
          <div class="channel-actions">
            <button type="button" class="btn btn-primary btn-sm" data-testid="shop-store-add" onClick={() => setForm(formOf())}>
              {t('shops.add')}
            </button>
          </div>
          {error ? (
            <div class="form-error" role="alert">
              {error}
            </div>
          ) : null}
          {list != null && list.length === 0 && !error ? <div class="muted" data-testid="shops-empty">{t('shops.empty')}</div> : null}
          <ul class="channel-list">
            {(list ?? []).map((s) => {
              const r = tests[s.id];
              return (
                <li key={s.id} class="channel-item" data-testid={`shop-store-item-${s.id}`} data-platform={s.platform}>
                  <div class="channel-item-head">
                    <strong>{s.name}</strong>
                    <span class="muted small">{word('shops.platform.', s.platform)}</span>
                    <span class={'channel-state' + (s.enabled ? ' on' : '')}>{s.enabled ? t('channels.enabled') : t('channels.disabled')}</span>
                    <button type="button" class="btn btn-sm" data-testid={`shop-store-test-${s.id}`} disabled={r === 'busy'} onClick={() => void test(s.id)}>
                      {t('shops.test')}
                    </button>
                    <button type="button" class="btn btn-sm" data-testid={`shop-store-edit-${s.id}`} onClick={() => setForm(formOf(s))}>
                      {t('shops.edit')}
                    </button>
                  </div>
                  <div class="small muted">{s.base_url}</div>
                  <div class="small muted">{t('shops.credentialsSet', { names: (s.credentials ?? []).map((c) => word('shops.cred.', c)).join(', ') || '—' })}</div>
                  {s.unreachable_since ? (
                    <div class="small notice notice-warn" data-testid={`shop-store-unreachable-${s.id}`}>
                      {t('shop.unreachableSince', { time: formatClock(s.unreachable_since) })} {s.last_error ?? ''}
                    </div>
                  ) : null}
                  {r && r !== 'busy' ? (
                    <div class={'small notice ' + (r.ok ? 'notice-transfer' : 'notice-bad')} data-testid={`shop-store-result-${s.id}`} role="status">
                      {r.ok ? t('shops.testOk') : `${r.code ? word('err.', r.code) : ''}${r.step ? ` (${t('shops.step', { step: r.step })})` : ''} ${r.message ?? ''}`.trim()}
                    </div>
                  ) : null}
                </li>
              );
            })}
          </ul>
        </div>
      )}
    </Dialog>
  );
}

function ShopFormView({ form: f, onChange, onSaved }: { form: Form; onChange: (f: Form | null) => void; onSaved: (s: ShopStore) => void }) {
  const ctl = useController();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState('');
  const set = (patch: Partial<Form>) => onChange({ ...f, ...patch });
  const save = async () => {
    setBusy(true);
    setError('');
    try {
      onSaved(await ctl.saveShopStore(f.id, shopRequest(f)));
    } catch (e) {
      setError(errorText(toAppError(e)));
    }
    setBusy(false);
  };
  return (
    <form
      class="channel-form"
      data-testid="shop-store-form"
      onSubmit={(e) => {
        e.preventDefault();
        void save();
      }}
    >
      <label>
        {t('shops.platform')}
        <select class="input" data-testid="shop-store-platform" value={f.platform} disabled={f.id !== 0} onChange={(e) => set({ platform: (e.target as HTMLSelectElement).value as Platform, credentials: {} })}>
          {PLATFORMS.map((p) => (
            <option key={p} value={p}>
              {word('shops.platform.', p)}
            </option>
          ))}
        </select>
      </label>
      <label>
        {t('shops.name')}
        <input class="input" data-testid="shop-store-name" value={f.name} onInput={(e) => set({ name: (e.target as HTMLInputElement).value })} />
      </label>
      <label>
        {t('shops.baseURL')}
        <input class="input" data-testid="shop-store-url" placeholder={t(('shops.baseURLHint.' + f.platform) as MessageKey)} value={f.base_url} onInput={(e) => set({ base_url: (e.target as HTMLInputElement).value })} />
      </label>
      {f.platform === 'shopify' ? (
        <label>
          {t('shops.apiVersion')}
          <input class="input" data-testid="shop-store-version" placeholder="2026-10" value={f.api_version} onInput={(e) => set({ api_version: (e.target as HTMLInputElement).value })} />
        </label>
      ) : null}
      {f.platform === 'ideasoft' ? (
        <label>
          {t('shops.redirectURI')}
          <input class="input" value={f.redirect_uri} onInput={(e) => set({ redirect_uri: (e.target as HTMLInputElement).value })} />
        </label>
      ) : null}
      {SHOP_CREDENTIALS[f.platform].map((c) => (
        <label key={c}>
          {word('shops.cred.', c)}
          <input
            class="input"
            type="password"
            autocomplete="off"
            data-testid={`shop-store-cred-${c}`}
            placeholder={f.set.includes(c) ? t('channels.credSet') : ''}
            value={f.credentials[c] ?? ''}
            onInput={(e) => set({ credentials: { ...f.credentials, [c]: (e.target as HTMLInputElement).value } })}
          />
        </label>
      ))}
      <fieldset>
        <legend class="small">{t('shops.actionRoles')}</legend>
        {ROLES.map((r) => (
          <label key={r} class="small">
            <input
              type="checkbox"
              data-testid={`shop-store-role-${r}`}
              checked={f.action_roles.includes(r)}
              onChange={(e) => set({ action_roles: (e.target as HTMLInputElement).checked ? [...f.action_roles, r] : f.action_roles.filter((x) => x !== r) })}
            />{' '}
            {word('shops.role.', r)}
          </label>
        ))}
      </fieldset>
      <label class="small">
        <input type="checkbox" checked={f.enabled} onChange={(e) => set({ enabled: (e.target as HTMLInputElement).checked })} /> {t('channels.enabled')}
      </label>
      {error ? (
        <div class="form-error" role="alert" data-testid="shop-store-error">
          {error}
        </div>
      ) : null}
      <div class="dialog-buttons">
        <button type="button" class="btn" onClick={() => onChange(null)}>
          {t('common.cancel')}
        </button>
        <button type="submit" class="btn btn-primary" data-testid="shop-store-save" disabled={busy}>
          {t('common.save')}
        </button>
      </div>
    </form>
  );
}
