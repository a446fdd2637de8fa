// Admins: the workspace's channel accounts (WhatsApp, Messenger, Instagram, Telegram). The list
// shows each account's state, its webhook URL to give the provider, and which credentials are
// set; the form adds or changes one. Credentials are write-only: the server gives their names
// only, the inputs start empty with a "set" placeholder, and only what the admin types is sent.

import { useEffect, useState } from 'preact/hooks';
import { toAppError } from '../bridge';
import { useApp, useController } from '../context';
import { errorText, has, t } from '../i18n';
import {
  buildRequest,
  CHANNEL_TYPES,
  credentialNames,
  formFromAccount,
  hasHumanAgent,
  hasWaba,
  isMeta,
  newForm,
  webhookURL,
  type ChannelForm,
} from '../logic/channels';
import type { ChannelAccount, ChannelType } from '../types';
import { Dialog } from './Dialog';
import { ChannelIcon } from './icons';

const channelName = (type: string) => {
  const key = 'channel.' + type;
  return has(key) ? t(key) : type;
};
const credLabel = (name: string) => {
  const key = 'channels.cred.' + name;
  return has(key) ? t(key) : name;
};

export function ChannelsDialog() {
  const ctl = useController();
  const session = useApp((s) => s.session);
  const isAdmin = session?.user?.role === 'admin';
  const [list, setList] = useState<ChannelAccount[] | null>(null);
  const [error, setError] = useState('');
  const [form, setForm] = useState<ChannelForm | null>(null);
  const [synced, setSynced] = useState<Record<number, number>>({});
  const [syncing, setSyncing] = useState<Record<number, boolean>>({});

  const load = async () => {
    setError('');
    try {
      setList(await ctl.channelAccounts());
    } catch (e) {
      setError(errorText(toAppError(e)));
      setList([]);
    }
  };

  useEffect(() => {
    if (isAdmin) void load();
  }, [isAdmin]);

  const copy = async (url: string) => {
    try {
      await navigator.clipboard.writeText(url);
      ctl.toast('success', t('channels.copied'));
    } catch {
      ctl.toast('error', t('err.unknown'));
    }
  };

  const sync = async (id: number) => {
    setSyncing((s) => ({ ...s, [id]: true }));
    try {
      const templates = await ctl.syncTemplates(id);
      setSynced((s) => ({ ...s, [id]: templates.length }));
      ctl.toast('success', t('channels.synced', { n: templates.length }));
    } catch (e) {
      ctl.toast('error', errorText(toAppError(e)));
    } finally {
      setSyncing((s) => ({ ...s, [id]: false }));
    }
  };

  const close = () => ctl.closeDialog();

  return (
    <Dialog title={t('channels.title')} testId="channels-dialog" onClose={close} width={600}>
      {!isAdmin ? (
        <div class="form-error" role="alert" data-testid="channels-error">
          {t('channels.adminOnly')}
        </div>
      ) : form ? (
        <ChannelFormView
          form={form}
          onCancel={() => setForm(null)}
          onSaved={(saved) => {
            setList((l) => {
              const rest = (l ?? []).filter((c) => c.id !== saved.id);
              return [...rest, saved].sort((a, b) => a.id - b.id);
            });
            setForm(null);
            ctl.toast('success', t('channels.saved'));
          }}
        />
      ) : (
        <div class="channels">
          <div class="channel-actions">
            <button type="button" class="btn btn-primary btn-sm" data-testid="channel-add" onClick={() => setForm(newForm())}>
              {t('channels.add')}
            </button>
          </div>
          {error ? (
            <div class="form-error" role="alert" data-testid="channels-error">
              {error}
            </div>
          ) : null}
          {list == null ? (
            <div class="muted" data-testid="channels-loading">
              {t('channels.loading')}
            </div>
          ) : list.length === 0 ? (
            !error ? (
              <div class="muted" data-testid="channels-empty">
                {t('channels.empty')}
              </div>
            ) : null
          ) : (
            <ul class="channel-list">
              {list.map((c) => {
                const url = webhookURL(session?.server_url ?? '', c.webhook_path);
                const creds = c.credentials ?? [];
                return (
                  <li key={c.id} class="channel-item" data-testid={`channel-${c.id}`} data-channel={c.type} data-enabled={c.enabled ? 'true' : 'false'}>
                    <div class="channel-item-head">
                      <ChannelIcon type={c.type} size={16} title={channelName(c.type)} />
                      <strong>{c.name}</strong>
                      <span class={'channel-state' + (c.enabled ? ' on' : '')} data-testid={`channel-enabled-${c.id}`}>
                        {c.enabled ? t('channels.enabled') : t('channels.disabled')}
                      </span>
                      {c.type === 'whatsapp' ? (
                        <button type="button" class="btn btn-sm" data-testid={`channel-sync-${c.id}`} disabled={!!syncing[c.id]} onClick={() => void sync(c.id)}>
                          {t('channels.syncTemplates')}
                          {synced[c.id] != null ? (
                            <span class="badge" data-testid={`channel-synced-${c.id}`}>
                              {' '}
                              {synced[c.id]}
                            </span>
                          ) : null}
                        </button>
                      ) : null}
                      <button type="button" class="btn btn-sm" data-testid={`channel-edit-${c.id}`} onClick={() => setForm(formFromAccount(c))}>
                        {t('channels.edit')}
                      </button>
                    </div>
                    {url ? (
                      <div class="channel-webhook">
                        <span class="muted">{t('channels.webhook')}</span>
                        <code data-testid={`channel-webhook-${c.id}`} title={url}>
                          {url}
                        </code>
                        <button type="button" class="btn btn-sm" data-testid={`channel-copy-${c.id}`} onClick={() => void copy(url)}>
                          {t('channels.copy')}
                        </button>
                      </div>
                    ) : null}
                    <div class="muted small" data-testid={`channel-credentials-${c.id}`}>
                      {t('channels.credentials')}: {creds.length > 0 ? creds.map(credLabel).join(', ') : t('channels.credentialsNone')}
                    </div>
                  </li>
                );
              })}
            </ul>
          )}
        </div>
      )}
    </Dialog>
  );
}

function ChannelFormView({ form: initial, onCancel, onSaved }: { form: ChannelForm; onCancel: () => void; onSaved: (c: ChannelAccount) => void }) {
  const ctl = useController();
  const [f, setF] = useState<ChannelForm>(initial);
  const [error, setError] = useState('');
  const [busy, setBusy] = useState(false);
  const set = (p: Partial<ChannelForm>) => setF((cur) => ({ ...cur, ...p }));

  const save = async () => {
    setBusy(true);
    setError('');
    try {
      onSaved(await ctl.saveChannelAccount(f.id, buildRequest(f)));
    } catch (e) {
      setError(errorText(toAppError(e)));
      setBusy(false);
    }
  };

  const text = (testId: string, label: string, value: string, onValue: (v: string) => void) => (
    <label class="field">
      <span>{label}</span>
      <input class="input" data-testid={testId} value={value} onInput={(e) => onValue(e.currentTarget.value)} />
    </label>
  );

  return (
    <form
      class="channel-form"
      data-testid="channel-form"
      onSubmit={(e) => {
        e.preventDefault();
        void save();
      }}
    >
      <label class="field">
        <span>{t('channels.type')}</span>
        <select class="input" data-testid="channel-type" value={f.type} disabled={f.id !== 0} onChange={(e) => set({ type: e.currentTarget.value as ChannelType, credentials: {}, human_agent: false })}>
          {CHANNEL_TYPES.map((ty) => (
            <option key={ty} value={ty}>
              {channelName(ty)}
            </option>
          ))}
        </select>
      </label>
      {text('channel-name', t('channels.name'), f.name, (v) => set({ name: v }))}
      <label class="setting setting-check">
        <input type="checkbox" data-testid="channel-enabled" checked={f.enabled} onChange={(e) => set({ enabled: e.currentTarget.checked })} />
        <span class="setting-label">{t('channels.enabled')}</span>
      </label>
      {text('channel-account-id', isMeta(f.type) ? t('channels.accountId') : t('channels.accountIdTelegram'), f.account_id, (v) => set({ account_id: v }))}
      {hasWaba(f.type) ? text('channel-waba-id', t('channels.wabaId'), f.waba_id, (v) => set({ waba_id: v })) : null}
      {text('channel-base-url', t('channels.baseURL'), f.base_url, (v) => set({ base_url: v }))}
      {isMeta(f.type) ? text('channel-api-version', t('channels.apiVersion'), f.api_version, (v) => set({ api_version: v })) : null}
      {hasHumanAgent(f.type) ? (
        <label class="setting setting-check">
          <input type="checkbox" data-testid="channel-human-agent" checked={f.human_agent} onChange={(e) => set({ human_agent: e.currentTarget.checked })} />
          <span>
            <span class="setting-label">{t('channels.humanAgent')}</span>
            <small class="muted">{t('channels.humanAgentHint')}</small>
          </span>
        </label>
      ) : null}
      <small class="muted">{t('channels.credHint')}</small>
      {credentialNames(f.type).map((n) => (
        <label class="field" key={n}>
          <span>{credLabel(n)}</span>
          <input
            class="input"
            type="password"
            autoComplete="new-password"
            data-testid={`channel-cred-${n}`}
            value={f.credentials[n] ?? ''}
            placeholder={f.stored.includes(n) ? t('channels.credSet') : t('channels.credUnset')}
            onInput={(e) => {
              const v = e.currentTarget.value;
              setF((cur) => ({ ...cur, credentials: { ...cur.credentials, [n]: v } }));
            }}
          />
        </label>
      ))}
      {error ? (
        <div class="form-error" role="alert" data-testid="channel-form-error">
          {error}
        </div>
      ) : null}
      <div class="channel-actions">
        <button type="button" class="btn" data-testid="channel-cancel" onClick={onCancel}>
          {t('channels.back')}
        </button>
        <button type="submit" class="btn btn-primary" data-testid="channel-save" disabled={busy}>
          {t('common.save')}
        </button>
      </div>
    </form>
  );
}
