// The update screens, from the app's Session.update (the server's minimum and latest app
// versions, compared on the Go side): below the minimum only the "update required" screen is
// shown, before sign-in and instead of the inbox; below the latest, a notice the agent may
// dismiss (until the app restarts or the latest changes again).

import { useState } from 'preact/hooks';
import { useApp, useController } from '../context';
import { t } from '../i18n';

export function UpdateRequired() {
  const ctl = useController();
  const update = useApp((s) => s.session?.update);
  if (!update) return null;
  return (
    <div class="login-page" data-testid="update-required">
      <div class="login-card" role="alert">
        <div class="login-brand">
          <span class="brand-mark" aria-hidden="true">S</span>
          <div>
            <h1>{t('update.requiredTitle')}</h1>
          </div>
        </div>
        <p>{t('update.requiredText', { version: update.version, minimum: update.minimum })}</p>
        {update.download_url ? (
          <button type="button" class="btn btn-primary btn-block" data-testid="update-download" onClick={() => void ctl.openDownload()}>
            {t('update.download')}
          </button>
        ) : null}
        <p class="muted small">{t('update.requiredAskIT')}</p>
        {update.download_url ? <p class="muted small" data-testid="update-url">{update.download_url}</p> : null}
      </div>
    </div>
  );
}

export function UpdateNotice() {
  const ctl = useController();
  const update = useApp((s) => s.session?.update);
  const [dismissed, setDismissed] = useState('');
  if (update?.state !== 'available' || dismissed === update.latest) return null;
  return (
    <div class="banner banner-update" data-testid="update-notice" role="status">
      <span>{t('update.available', { latest: update.latest, version: update.version })}</span>{' '}
      {update.download_url ? (
        <button type="button" class="btn btn-sm" data-testid="update-notice-download" onClick={() => void ctl.openDownload()}>
          {t('update.download')}
        </button>
      ) : null}
      <button type="button" class="btn btn-sm" data-testid="update-dismiss" onClick={() => setDismissed(update.latest)}>
        {t('update.dismiss')}
      </button>
    </div>
  );
}
