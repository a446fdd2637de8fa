// The update screens over tests/recorded/updates.ayse.json: the real app at 1.3.0 against a
// real santrald whose admin set 1.4.0 as the latest, then as the minimum.

import { afterEach, describe, expect, it } from 'vitest';
import { errorText, setLanguage, t } from '../src/i18n';
import { click, mount, typeInto, type Mounted } from './helpers';

let m: Mounted | null = null;
afterEach(() => {
  m?.unmount();
  m = null;
});

describe('updates', () => {
  it('shows a dismissible notice when a newer version exists', async () => {
    m = await mount('updates.ayse', 'signed-in');
    expect(m.get('shell')).toBeTruthy();
    expect(m.get('update-notice').textContent).toContain('1.4.0');
    expect(m.get('update-notice').textContent).toContain('1.3.0');
    await click(m.get('update-dismiss'));
    expect(m.query('update-notice')).toBeNull();
    expect(m.get('shell')).toBeTruthy();
    expect(m.replay.misses).toEqual([]);
  });

  it('shows only the update screen once the minimum is above this version', async () => {
    m = await mount('updates.ayse', 'signed-in');
    await m.advance('minimum-raised');
    // The app signed out (the server has the agent offline): only the update screen remains.
    expect(m.ctl.state.session?.signed_in).toBe(false);
    expect(m.query('shell')).toBeNull();
    expect(m.query('login-form')).toBeNull();
    const screen = m.get('update-required');
    expect(screen.textContent).toContain('Güncelleme gerekli');
    expect(screen.textContent).toContain('1.4.0');
    expect(m.get('update-url').textContent).toBe('https://it.example.com/santral/');
    await click(m.get('update-download'));
    expect(m.replay.misses).toEqual([]);
  });

  it('shows the update screen before sign-in when the server refuses this version', async () => {
    m = await mount('updates.old', 'signed-out');
    expect(m.get('login-form')).toBeTruthy();
    await typeInto(m.get('login-server'), 'http://santral.test');
    await typeInto(m.get('login-username'), 'ayse');
    await typeInto(m.get('login-password'), 'password-ayse');
    await click(m.get('login-submit'));
    expect(m.replay.step).toBe('login-refused');
    expect(m.query('login-form')).toBeNull();
    expect(m.query('shell')).toBeNull();
    expect(m.get('update-required').textContent).toContain('1.3.0');
    expect(m.get('update-required').textContent).toContain('1.2.9');
    expect(m.replay.misses).toEqual([]);
  });

  it('words the sign-in refusal of an app below the minimum', () => {
    setLanguage('tr');
    expect(errorText({ code: 'update_required', message: '' })).toContain('güncelleyin');
    setLanguage('en');
    expect(errorText({ code: 'update_required', message: '' })).toContain('Please update');
    expect(t('update.requiredTitle')).toBe('Update required');
  });

  it('leaves recordings without an update answer alone (no notice, no screen)', async () => {
    m = await mount('agent-day.ayse', 'signed-in');
    expect(m.query('update-required')).toBeNull();
    expect(m.query('update-notice')).toBeNull();
  });
});
