// Settings: language, theme, notification sound, start at login — saved on this machine by the
// Go side (SavePreferences).

import { useState } from 'preact/hooks';
import { toAppError } from '../bridge';
import { useApp, useController } from '../context';
import { errorText, t } from '../i18n';
import type { Language, Preferences, Theme } from '../types';
import { Dialog } from './Dialog';

const DEFAULTS: Preferences = { language: 'tr', theme: 'system', sound: true, autostart: false };

export function SettingsDialog() {
  const ctl = useController();
  const session = useApp((s) => s.session);
  const [p, setP] = useState<Preferences>({ ...DEFAULTS, ...(session?.preferences ?? {}) });
  const [error, setError] = useState('');
  const [busy, setBusy] = useState(false);

  const save = async () => {
    setBusy(true);
    setError('');
    try {
      await ctl.savePreferences(p);
      ctl.toast('success', t('settings.saved'));
      ctl.closeDialog();
    } catch (e) {
      setError(errorText(toAppError(e)));
      setBusy(false);
    }
  };

  const themes: Array<[Theme, string]> = [
    ['light', t('settings.themeLight')],
    ['dark', t('settings.themeDark')],
    ['system', t('settings.themeSystem')],
  ];

  return (
    <Dialog
      title={t('settings.title')}
      testId="settings-dialog"
      onClose={() => ctl.closeDialog()}
      footer={
        <>
          <button type="button" class="btn" onClick={() => ctl.closeDialog()}>
            {t('common.cancel')}
          </button>
          <button type="button" class="btn btn-primary" data-testid="settings-save" disabled={busy} onClick={() => void save()}>
            {t('common.save')}
          </button>
        </>
      }
    >
      <div class="settings">
        <div class="setting">
          <span class="setting-label">{t('settings.language')}</span>
          <select class="input" data-testid="settings-language" value={p.language} onChange={(e) => setP({ ...p, language: e.currentTarget.value as Language })}>
            <option value="tr">Türkçe</option>
            <option value="en">English</option>
          </select>
        </div>
        <div class="setting">
          <span class="setting-label">{t('settings.theme')}</span>
          <div class="segmented" role="radiogroup" aria-label={t('settings.theme')}>
            {themes.map(([value, label]) => (
              <button type="button" key={value} role="radio" aria-checked={p.theme === value} class={p.theme === value ? 'active' : ''} data-testid={`settings-theme-${value}`} onClick={() => setP({ ...p, theme: value })}>
                {label}
              </button>
            ))}
          </div>
        </div>
        <label class="setting setting-check">
          <input type="checkbox" data-testid="settings-sound" checked={p.sound} onChange={(e) => setP({ ...p, sound: e.currentTarget.checked })} />
          <span>
            <span class="setting-label">{t('settings.sound')}</span>
            <small class="muted">{t('settings.soundHint')}</small>
          </span>
        </label>
        <label class="setting setting-check">
          <input type="checkbox" data-testid="settings-autostart" checked={p.autostart} onChange={(e) => setP({ ...p, autostart: e.currentTarget.checked })} />
          <span>
            <span class="setting-label">{t('settings.autostart')}</span>
            <small class="muted">{t('settings.autostartHint')}</small>
          </span>
        </label>
        {session?.user?.role === 'admin' ? (
          <div class="setting">
            <span>
              <span class="setting-label">{t('settings.channels')}</span>
              <small class="muted">{t('settings.channelsHint')}</small>
            </span>
            <button type="button" class="btn btn-sm" data-testid="settings-channels" onClick={() => ctl.openDialog({ kind: 'channels' })}>
              {t('settings.channels')}
            </button>
          </div>
        ) : null}
        {session?.user?.role === 'admin' ? (
          <div class="setting">
            <span>
              <span class="setting-label">{t('settings.flows')}</span>
              <small class="muted">{t('settings.flowsHint')}</small>
            </span>
            <button type="button" class="btn btn-sm" data-testid="settings-flows" onClick={() => ctl.openDialog({ kind: 'flows' })}>
              {t('settings.flows')}
            </button>
          </div>
        ) : null}
        {session?.user?.role === 'admin' ? (
          <div class="setting">
            <span>
              <span class="setting-label">{t('settings.shops')}</span>
              <small class="muted">{t('settings.shopsHint')}</small>
            </span>
            <button type="button" class="btn btn-sm" data-testid="settings-shops" onClick={() => ctl.openDialog({ kind: 'shops' })}>
              {t('settings.shops')}
            </button>
          </div>
        ) : null}
        <dl class="kv settings-about">
          <dt>{t('settings.account')}</dt>
          <dd>{session?.user?.display_name || session?.username}</dd>
          <dt>{t('settings.server')}</dt>
          <dd>{session?.server_url}</dd>
          <dt>{t('settings.version')}</dt>
          <dd>{session?.version || '—'}</dd>
        </dl>
        {error ? (
          <div class="form-error" role="alert" data-testid="settings-error">
            {error}
          </div>
        ) : null}
      </div>
    </Dialog>
  );
}
