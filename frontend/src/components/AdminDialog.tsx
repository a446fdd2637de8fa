// The admin screens (issue 11), one dialog with a tab per concern: users, end reasons, quick
// messages (shared ones for admins, every user's own), tags, workspace settings, the website
// widget's snippet and reports with CSV export. Tabs follow the role: agents see their quick
// messages, supervisors also reports, admins everything. Every refusal shows the server's
// reason beside the form that caused it.

import { useEffect, useState } from 'preact/hooks';
import { toAppError, type LiveReport } from '../bridge';
import { useApp, useController } from '../context';
import { errorText, t, type MessageKey } from '../i18n';
import type { EndReason, QuickMessage, ReportRow, Role, Tag, User, UserRequest, WorkspaceSettings } from '../types';
import { figure } from '../dashboard/DashboardWindow';
import { HBars } from '../dashboard/charts';
import { DateField } from './DateField';
import { Dialog } from './Dialog';

export type AdminTab = 'users' | 'endReasons' | 'quick' | 'tags' | 'workspace' | 'widget' | 'reports';

export function adminTabs(role: Role | undefined): AdminTab[] {
  if (role === 'admin') return ['users', 'endReasons', 'quick', 'tags', 'workspace', 'widget', 'reports'];
  if (role === 'supervisor') return ['quick', 'reports'];
  return ['quick'];
}

/** Runs a call, returning the refusal as a sentence ('' when it went through). */
async function attempt(fn: () => Promise<unknown>): Promise<string> {
  try {
    await fn();
    return '';
  } catch (e) {
    return errorText(toAppError(e));
  }
}

function Refusal({ text, testId }: { text: string; testId: string }) {
  return text ? (
    <p class="form-error" role="alert" data-testid={testId}>
      {text}
    </p>
  ) : null;
}

export function AdminDialog({ tab: initial }: { tab?: string }) {
  const ctl = useController();
  const role = useApp((s) => s.session?.user?.role);
  const tabs = adminTabs(role);
  const [tab, setTab] = useState<AdminTab>(tabs.includes(initial as AdminTab) ? (initial as AdminTab) : tabs[0]);
  return (
    <Dialog title={t('admin.title')} testId="admin-dialog" onClose={() => ctl.closeDialog()} width={940}>
      <nav class="admin-tabs" role="tablist">
        {tabs.map((k) => (
          <button type="button" role="tab" key={k} aria-selected={tab === k} class={'admin-tab' + (tab === k ? ' active' : '')} data-testid={`admin-tab-${k}`} onClick={() => setTab(k)}>
            {t(('admin.tab.' + k) as MessageKey)}
          </button>
        ))}
      </nav>
      <div class="admin-body" data-testid={`admin-${tab}`}>
        {tab === 'users' ? <UsersTab /> : null}
        {tab === 'endReasons' ? <EndReasonsTab /> : null}
        {tab === 'quick' ? <QuickTab /> : null}
        {tab === 'tags' ? <TagsTab /> : null}
        {tab === 'workspace' ? <WorkspaceTab /> : null}
        {tab === 'widget' ? <WidgetTab /> : null}
        {tab === 'reports' ? <ReportsTab /> : null}
      </div>
    </Dialog>
  );
}

const ROLES: Role[] = ['agent', 'supervisor', 'admin'];

const numOrNull = (v: string): number | null => (v.trim() === '' ? null : Number(v));

function UsersTab() {
  const api = useController().bridge;
  const [users, setUsers] = useState<User[]>([]);
  const [error, setError] = useState('');
  const [form, setForm] = useState({ username: '', display_name: '', password: '', role: 'agent' as Role, auto_limit: '', hard_cap: '' });
  const load = () => api.users().then(setUsers, (e) => setError(errorText(toAppError(e))));
  useEffect(() => void load(), []);
  const create = async (e: Event) => {
    e.preventDefault();
    const req: UserRequest = { username: form.username.trim(), display_name: form.display_name.trim(), password: form.password, role: form.role };
    const limit = numOrNull(form.auto_limit);
    const cap = numOrNull(form.hard_cap);
    if (limit !== null) req.auto_limit = limit;
    if (cap !== null) req.hard_cap = cap;
    const err = await attempt(() => api.saveUser(0, req));
    setError(err);
    if (!err) {
      setForm({ username: '', display_name: '', password: '', role: 'agent', auto_limit: '', hard_cap: '' });
      void load();
    }
  };
  return (
    <>
      <form class="admin-form" onSubmit={create} data-testid="user-create">
        <label class="field-sm">
          {t('admin.username')}
          <input class="input" data-testid="user-username" value={form.username} onInput={(e) => setForm({ ...form, username: (e.target as HTMLInputElement).value })} />
        </label>
        <label class="field-sm">
          {t('admin.displayName')}
          <input class="input" data-testid="user-display" value={form.display_name} onInput={(e) => setForm({ ...form, display_name: (e.target as HTMLInputElement).value })} />
        </label>
        <label class="field-sm">
          {t('admin.password')}
          <input class="input" type="password" data-testid="user-password" value={form.password} onInput={(e) => setForm({ ...form, password: (e.target as HTMLInputElement).value })} />
        </label>
        <label class="field-sm">
          {t('admin.role')}
          <select class="select" data-testid="user-role" value={form.role} onChange={(e) => setForm({ ...form, role: (e.target as HTMLSelectElement).value as Role })}>
            {ROLES.map((r) => (
              <option key={r} value={r}>
                {t(('role.' + r) as MessageKey)}
              </option>
            ))}
          </select>
        </label>
        <label class="field-sm narrow">
          {t('admin.limit')}
          <input class="input" type="number" min="0" max="100" placeholder={t('admin.default')} data-testid="user-limit" value={form.auto_limit} onInput={(e) => setForm({ ...form, auto_limit: (e.target as HTMLInputElement).value })} />
        </label>
        <label class="field-sm narrow">
          {t('admin.hardCap')}
          <input class="input" type="number" min="0" max="1000" placeholder={t('admin.default')} data-testid="user-cap" value={form.hard_cap} onInput={(e) => setForm({ ...form, hard_cap: (e.target as HTMLInputElement).value })} />
        </label>
        <button type="submit" class="btn btn-primary" data-testid="user-create-submit">
          {t('admin.addUser')}
        </button>
      </form>
      <Refusal text={error} testId="user-error" />
      <table class="admin-table">
        <thead>
          <tr>
            <th>{t('admin.displayName')}</th>
            <th>{t('admin.role')}</th>
            <th>{t('admin.limit')}</th>
            <th>{t('admin.hardCap')}</th>
            <th>{t('admin.password')}</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {users.map((u) => (
            <UserRow key={u.id} user={u} onSaved={load} />
          ))}
        </tbody>
      </table>
    </>
  );
}

function UserRow({ user: u, onSaved }: { user: User; onSaved: () => void }) {
  const api = useController().bridge;
  const [role, setRole] = useState<Role>(u.role);
  const [limit, setLimit] = useState(u.auto_limit === null ? '' : String(u.auto_limit));
  const [cap, setCap] = useState(u.hard_cap === null ? '' : String(u.hard_cap));
  const [password, setPassword] = useState('');
  const [error, setError] = useState('');
  const save = async (extra: UserRequest = {}) => {
    const req: UserRequest = { ...extra };
    if (role !== u.role) req.role = role;
    const l = numOrNull(limit);
    const c = numOrNull(cap);
    if (l === null && u.auto_limit !== null) req.clear_auto_limit = true;
    else if (l !== null && l !== u.auto_limit) req.auto_limit = l;
    if (c === null && u.hard_cap !== null) req.clear_hard_cap = true;
    else if (c !== null && c !== u.hard_cap) req.hard_cap = c;
    if (password) req.password = password;
    const err = await attempt(() => api.saveUser(u.id, req));
    setError(err);
    if (!err) {
      setPassword('');
      onSaved();
    }
  };
  return (
    <>
      <tr data-testid={`user-row-${u.username}`} class={u.disabled ? 'disabled-row' : ''}>
        <td>
          <strong>{u.display_name}</strong> <span class="muted">@{u.username}</span>
          {u.disabled ? <span class="badge"> {t('admin.disabled')}</span> : null}
        </td>
        <td>
          <select class="select select-sm" value={role} onChange={(e) => setRole((e.target as HTMLSelectElement).value as Role)} aria-label={t('admin.role')}>
            {ROLES.map((r) => (
              <option key={r} value={r}>
                {t(('role.' + r) as MessageKey)}
              </option>
            ))}
          </select>
        </td>
        <td>
          <input class="input input-sm" type="number" min="0" max="100" placeholder={String(u.effective_limit)} value={limit} onInput={(e) => setLimit((e.target as HTMLInputElement).value)} aria-label={t('admin.limit')} data-testid={`user-limit-${u.username}`} />
        </td>
        <td>
          <input class="input input-sm" type="number" min="0" max="1000" placeholder={t('admin.default')} value={cap} onInput={(e) => setCap((e.target as HTMLInputElement).value)} aria-label={t('admin.hardCap')} />
        </td>
        <td>
          <input class="input input-sm" type="password" placeholder={t('admin.newPassword')} value={password} onInput={(e) => setPassword((e.target as HTMLInputElement).value)} aria-label={t('admin.newPassword')} data-testid={`user-password-${u.username}`} />
        </td>
        <td class="admin-row-actions">
          <button type="button" class="btn btn-sm btn-primary" data-testid={`user-save-${u.username}`} onClick={() => void save()}>
            {t('common.save')}
          </button>
          <button type="button" class="btn btn-sm" data-testid={`user-disable-${u.username}`} onClick={() => void save({ disabled: !u.disabled })}>
            {u.disabled ? t('admin.enable') : t('admin.disable')}
          </button>
        </td>
      </tr>
      {error ? (
        <tr>
          <td colSpan={6}>
            <Refusal text={error} testId={`user-error-${u.username}`} />
          </td>
        </tr>
      ) : null}
    </>
  );
}

/** A list of labels from the admin's list (end reasons, tags): add, rename, (de)activate. */
function LabelList<T extends { id: number; label: string; active: boolean }>({ load, save, prefix }: { load: () => Promise<T[]>; save: (id: number, label: string, active: boolean) => Promise<unknown>; prefix: string }) {
  const [items, setItems] = useState<T[]>([]);
  const [label, setLabel] = useState('');
  const [error, setError] = useState('');
  const reload = () => load().then(setItems, (e) => setError(errorText(toAppError(e))));
  useEffect(() => void reload(), []);
  const run = async (fn: () => Promise<unknown>) => {
    const err = await attempt(fn);
    setError(err);
    if (!err) void reload();
    return err;
  };
  return (
    <>
      <form
        class="admin-form"
        onSubmit={async (e) => {
          e.preventDefault();
          if (!(await run(() => save(0, label, true)))) setLabel('');
        }}
      >
        <input class="input" data-testid={`${prefix}-new`} value={label} placeholder={t('admin.newLabel')} onInput={(e) => setLabel((e.target as HTMLInputElement).value)} aria-label={t('admin.newLabel')} />
        <button type="submit" class="btn btn-primary" data-testid={`${prefix}-add`}>
          {t('admin.add')}
        </button>
      </form>
      <Refusal text={error} testId={`${prefix}-error`} />
      <ul class="admin-list">
        {items.map((it) => (
          <LabelRow key={it.id} item={it} prefix={prefix} onSave={(l, a) => run(() => save(it.id, l, a))} />
        ))}
      </ul>
    </>
  );
}

function LabelRow({ item, prefix, onSave }: { item: { id: number; label: string; active: boolean }; prefix: string; onSave: (label: string, active: boolean) => Promise<string> }) {
  const [label, setLabel] = useState(item.label);
  return (
    <li data-testid={`${prefix}-row-${item.id}`} class={item.active ? '' : 'disabled-row'}>
      <input class="input input-sm" value={label} onInput={(e) => setLabel((e.target as HTMLInputElement).value)} aria-label={t('admin.label')} />
      <button type="button" class="btn btn-sm" disabled={label === item.label} onClick={() => void onSave(label, item.active)}>
        {t('admin.rename')}
      </button>
      <button type="button" class="btn btn-sm" data-testid={`${prefix}-toggle-${item.id}`} onClick={() => void onSave(item.label, !item.active)}>
        {item.active ? t('admin.deactivate') : t('admin.activate')}
      </button>
      {item.active ? null : <span class="muted">{t('admin.inactive')}</span>}
    </li>
  );
}

function EndReasonsTab() {
  const api = useController().bridge;
  return <LabelList<EndReason> prefix="reason" load={() => api.allEndReasons()} save={(id, label, active) => api.saveEndReason(id, { label, active })} />;
}

function TagsTab() {
  const api = useController().bridge;
  return <LabelList<Tag> prefix="tag" load={() => api.tags(true)} save={(id, label, active) => api.saveTag(id, { label, active })} />;
}

function QuickTab() {
  const ctl = useController();
  const api = ctl.bridge;
  const role = useApp((s) => s.session?.user?.role);
  const me = useApp((s) => s.session?.user?.id);
  const [items, setItems] = useState<QuickMessage[]>([]);
  const [form, setForm] = useState({ id: 0, title: '', shortcut: '', body: '', shared: false });
  const [error, setError] = useState('');
  const reload = () => api.quickMessages().then(setItems, (e) => setError(errorText(toAppError(e))));
  useEffect(() => void reload(), []);
  const submit = async (e: Event) => {
    e.preventDefault();
    const err = await attempt(() => api.saveQuickMessage(form.id, { title: form.title, shortcut: form.shortcut, body: form.body, shared: form.shared }));
    setError(err);
    if (!err) {
      setForm({ id: 0, title: '', shortcut: '', body: '', shared: false });
      void reload();
      void ctl.loadInbox(); // the composer's list
    }
  };
  const mayEdit = (q: QuickMessage) => (q.owner_id === null ? role === 'admin' : q.owner_id === me);
  return (
    <>
      <form class="admin-form admin-form-quick" onSubmit={submit} data-testid="quick-form">
        <label class="field-sm">
          {t('admin.quickTitle')}
          <input class="input" data-testid="quick-title" value={form.title} onInput={(e) => setForm({ ...form, title: (e.target as HTMLInputElement).value })} />
        </label>
        <label class="field-sm narrow">
          {t('admin.shortcut')}
          <input class="input" data-testid="quick-shortcut" value={form.shortcut} placeholder="/iade" onInput={(e) => setForm({ ...form, shortcut: (e.target as HTMLInputElement).value })} />
        </label>
        <label class="field-sm wide">
          {t('admin.quickBody')}
          <textarea class="input" rows={2} data-testid="quick-body" value={form.body} placeholder={t('admin.quickBodyHint')} onInput={(e) => setForm({ ...form, body: (e.target as HTMLTextAreaElement).value })} />
        </label>
        {role === 'admin' && form.id === 0 ? (
          <label class="check">
            <input type="checkbox" data-testid="quick-shared" checked={form.shared} onChange={(e) => setForm({ ...form, shared: (e.target as HTMLInputElement).checked })} /> {t('admin.shared')}
          </label>
        ) : null}
        <button type="submit" class="btn btn-primary" data-testid="quick-save">
          {form.id ? t('common.save') : t('admin.add')}
        </button>
      </form>
      <Refusal text={error} testId="quick-admin-error" />
      <ul class="admin-list">
        {items.map((q) => (
          <li key={q.id} data-testid={`quick-row-${q.shortcut}`}>
            <span class="admin-quick">
              <strong>{q.title}</strong> <code>/{q.shortcut}</code> <span class="badge">{q.owner_id === null ? t('admin.shared') : t('admin.personal')}</span>
              <span class="muted admin-quick-body">{q.body}</span>
            </span>
            {mayEdit(q) ? (
              <>
                <button type="button" class="btn btn-sm" onClick={() => setForm({ id: q.id, title: q.title, shortcut: q.shortcut, body: q.body, shared: q.owner_id === null })}>
                  {t('admin.edit')}
                </button>
                <button type="button" class="btn btn-sm" data-testid={`quick-delete-${q.shortcut}`} onClick={async () => { const err = await attempt(() => api.deleteQuickMessage(q.id)); setError(err); if (!err) void reload(); }}>
                  {t('admin.delete')}
                </button>
              </>
            ) : null}
          </li>
        ))}
      </ul>
    </>
  );
}

function WorkspaceTab() {
  const api = useController().bridge;
  const [set, setSet] = useState<WorkspaceSettings | null>(null);
  const [error, setError] = useState('');
  const [saved, setSaved] = useState(false);
  useEffect(() => void api.workspaceSettings().then(setSet, (e) => setError(errorText(toAppError(e)))), []);
  if (!set) return <Refusal text={error} testId="workspace-error" />;
  const num = (k: keyof WorkspaceSettings) => (
    <input class="input input-sm" type="number" data-testid={`ws-${k}`} value={String(set[k])} onInput={(e) => setSet({ ...set, [k]: Number((e.target as HTMLInputElement).value) })} />
  );
  const flag = (k: keyof WorkspaceSettings) => <input type="checkbox" data-testid={`ws-${k}`} checked={!!set[k]} onChange={(e) => setSet({ ...set, [k]: (e.target as HTMLInputElement).checked })} />;
  return (
    <form
      class="admin-settings"
      onSubmit={async (e) => {
        e.preventDefault();
        setSaved(false);
        const err = await attempt(() => api.saveWorkspaceSettings(set));
        setError(err);
        setSaved(!err);
      }}
    >
      <label class="check">{flag('auto_assign')} {t('admin.ws.autoAssign')}</label>
      <label class="field-sm">{t('admin.ws.defaultLimit')} {num('default_limit')}</label>
      <label class="field-sm">{t('admin.ws.hardCap')} {num('hard_cap')}</label>
      <label class="field-sm">{t('admin.ws.offerTimeout')} {num('offer_timeout_seconds')}</label>
      <label class="field-sm">{t('admin.ws.offlineGrace')} {num('offline_grace_seconds')}</label>
      <label class="check">{flag('requeue_on_offline')} {t('admin.ws.requeueOnOffline')}</label>
      <Refusal text={error} testId="workspace-error" />
      {saved ? <p class="form-ok" data-testid="workspace-saved">{t('admin.saved')}</p> : null}
      <button type="submit" class="btn btn-primary" data-testid="workspace-save">
        {t('common.save')}
      </button>
    </form>
  );
}

function WidgetTab() {
  const ctl = useController();
  const [snippet, setSnippet] = useState('');
  useEffect(() => void ctl.bridge.widgetSnippet().then(setSnippet, () => {}), []);
  return (
    <div class="admin-widget">
      <p>{t('admin.widgetHelp')}</p>
      <pre class="snippet" data-testid="widget-snippet">{snippet}</pre>
      <button
        type="button"
        class="btn btn-primary"
        data-testid="widget-copy"
        onClick={async () => {
          try {
            await navigator.clipboard.writeText(snippet);
            ctl.toast('success', t('channels.copied'));
          } catch {
            ctl.toast('error', t('admin.copyFailed'));
          }
        }}
      >
        {t('admin.copy')}
      </button>
    </div>
  );
}

const pad = (n: number) => String(n).padStart(2, '0');
const isoDay = (d: Date) => `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
/** dd.MM.yyyy, as Turkish dates are written. */
export const trDate = (iso: string) => iso.split('-').reverse().join('.');

function ReportsTab() {
  const ctl = useController();
  const api = ctl.bridge;
  const today = isoDay(new Date());
  const weekAgo = isoDay(new Date(Date.now() - 6 * 86400000));
  const [q, setQ] = useState({ from: weekAgo, to: today, by: 'agent', wait_threshold: 60 });
  const [rep, setRep] = useState<LiveReport | null>(null);
  const [error, setError] = useState('');
  const run = async () => {
    try {
      setRep(await api.report(q));
      setError('');
    } catch (e) {
      setError(errorText(toAppError(e)));
    }
  };
  useEffect(() => void run(), []);
  const label = (r: ReportRow) => r.label || t(('report.none.' + q.by) as MessageKey);
  return (
    <>
      <form
        class="admin-form"
        onSubmit={(e) => {
          e.preventDefault();
          void run();
        }}
      >
        <label class="field-sm">
          {t('report.from')}
          <DateField testId="report-from" value={q.from} onChange={(from) => setQ({ ...q, from })} />
        </label>
        <label class="field-sm">
          {t('report.to')}
          <DateField testId="report-to" value={q.to} onChange={(to) => setQ({ ...q, to })} />
        </label>
        <label class="field-sm">
          {t('report.by')}
          <select class="select" data-testid="report-by" value={q.by} onChange={(e) => setQ({ ...q, by: (e.target as HTMLSelectElement).value })}>
            {['agent', 'channel', 'end_reason', 'tag'].map((b) => (
              <option key={b} value={b}>
                {t(('report.by.' + b) as MessageKey)}
              </option>
            ))}
          </select>
        </label>
        <label class="field-sm narrow">
          {t('report.threshold')}
          <input class="input" type="number" min="1" data-testid="report-threshold" value={String(q.wait_threshold)} onInput={(e) => setQ({ ...q, wait_threshold: Number((e.target as HTMLInputElement).value) })} />
        </label>
        <button type="submit" class="btn btn-primary" data-testid="report-run">
          {t('report.run')}
        </button>
        <button
          type="button"
          class="btn"
          data-testid="report-export"
          onClick={async () => {
            try {
              const path = await api.exportReport(q);
              ctl.toast('success', t('report.exported', { path }));
            } catch (e) {
              ctl.fail(e);
            }
          }}
        >
          {t('report.export')}
        </button>
      </form>
      <Refusal text={error} testId="report-error" />
      {rep ? (
        <>
          <p class="muted" data-testid="report-range">
            {t('report.range', { from: trDate(q.from), to: trDate(q.to) })}
          </p>
          <div class="report-scroll">
            <table class="admin-table report-table" data-testid="report-table">
              <thead>
                <tr>
                  <th>{t(('report.by.' + rep.by) as MessageKey)}</th>
                  <th>{t('report.conversations')}</th>
                  <th>{t('report.ended')}</th>
                  <th>{t('report.frt')}</th>
                  <th>{t('report.handling')}</th>
                  <th>{t('report.queueWait')}</th>
                  <th>{t('report.waitedOver')}</th>
                  <th>{t('report.transfers')}</th>
                  <th>{t('report.reopened')}</th>
                </tr>
              </thead>
              <tbody>
                {[...rep.rows, { ...rep.total, key: 'total', label: t('report.total') }].map((r) => (
                  <tr key={r.key} class={r.key === 'total' ? 'total-row' : ''} data-testid={`report-row-${r.key || 'none'}`}>
                    <td>{label(r)}</td>
                    <td>{r.conversations}</td>
                    <td>{r.ended}</td>
                    <td>
                      {figure(r.first_response_median_ms, r.responded)} <span class="muted">/ {figure(r.first_response_p90_ms, r.responded)}</span>
                    </td>
                    <td>
                      {figure(r.handling_median_ms, r.handled)} <span class="muted">/ {figure(r.handling_p90_ms, r.handled)}</span>
                    </td>
                    <td>
                      {figure(r.queue_wait_median_ms, r.queued)} <span class="muted">/ {figure(r.queue_wait_p90_ms, r.queued)}</span>
                    </td>
                    <td>{r.waited_over_threshold}</td>
                    <td>{r.transfers}</td>
                    <td>{r.reopened}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          <p class="muted report-legend">{t('report.legend')}</p>
          <HBars testId="report-chart" empty={t('report.empty')} bars={rep.rows.map((r) => ({ label: label(r), value: r.conversations }))} />
        </>
      ) : null}
    </>
  );
}
