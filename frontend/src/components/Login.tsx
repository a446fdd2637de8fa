// The sign-in screen: server address, username, password; refusals shown under the form.

import { useState } from 'preact/hooks';
import { toAppError } from '../bridge';
import { useApp, useController } from '../context';
import { errorText, getLanguage, t } from '../i18n';
import type { Language, Preferences } from '../types';

const DEFAULT_PREFS: Preferences = { language: 'tr', theme: 'system', sound: true, autostart: false };

export function Login() {
  const ctl = useController();
  const session = useApp((s) => s.session);
  const bootError = useApp((s) => s.bootError);
  const [server, setServer] = useState(session?.server_url ?? '');
  const [username, setUsername] = useState(session?.username ?? '');
  const [password, setPassword] = useState('');
  const [error, setError] = useState('');
  const [busy, setBusy] = useState(false);

  const submit = async (e: Event) => {
    e.preventDefault();
    if (!server.trim() || !username.trim() || !password) {
      setError(t('login.required'));
      return;
    }
    setBusy(true);
    setError('');
    try {
      await ctl.login(server, username, password);
    } catch (err) {
      setError(errorText(toAppError(err)));
      setBusy(false);
    }
  };

  const setLang = (language: Language) => void ctl.setLoginLanguage({ ...(session?.preferences ?? DEFAULT_PREFS), language });

  return (
    <div class="login-page">
      <form class="login-card" onSubmit={submit} data-testid="login-form" noValidate>
        <div class="login-brand">
          <span class="brand-mark" aria-hidden="true">S</span>
          <div>
            <h1>{t('login.title')}</h1>
            <p class="muted">{t('login.subtitle')}</p>
          </div>
        </div>
        <label class="field">
          <span>{t('login.server')}</span>
          <input
            type="url"
            data-testid="login-server"
            value={server}
            placeholder={t('login.serverPlaceholder')}
            onInput={(e) => setServer(e.currentTarget.value)}
            autoComplete="url"
            spellcheck={false}
          />
        </label>
        <label class="field">
          <span>{t('login.username')}</span>
          <input
            type="text"
            data-testid="login-username"
            value={username}
            onInput={(e) => setUsername(e.currentTarget.value)}
            autoComplete="username"
            spellcheck={false}
            autoFocus={!!server}
          />
        </label>
        <label class="field">
          <span>{t('login.password')}</span>
          <input
            type="password"
            data-testid="login-password"
            value={password}
            onInput={(e) => setPassword(e.currentTarget.value)}
            autoComplete="current-password"
          />
        </label>
        {error || bootError ? (
          <div class="form-error" role="alert" data-testid="login-error">
            {error || bootError}
          </div>
        ) : null}
        <button type="submit" class="btn btn-primary btn-block" data-testid="login-submit" disabled={busy}>
          {busy ? t('login.submitting') : t('login.submit')}
        </button>
        <div class="login-foot">
          <div class="segmented" role="group" aria-label={t('login.language')}>
            {(['tr', 'en'] as const).map((l) => (
              <button
                type="button"
                key={l}
                class={getLanguage() === l ? 'active' : ''}
                aria-pressed={getLanguage() === l}
                data-testid={`login-language-${l}`}
                onClick={() => setLang(l)}
              >
                {l === 'tr' ? 'Türkçe' : 'English'}
              </button>
            ))}
          </div>
          {session?.version ? <span class="muted small">v{session.version}</span> : null}
        </div>
      </form>
    </div>
  );
}
