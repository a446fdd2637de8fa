// Admins: chatbot flows. The list (drafts and published, import, export, archive) and the editor:
// a structured outline of the flow's steps — one card per step, in order, each with the form of
// its type and the links to the steps it leads to — rather than a canvas graph: it reads top to
// bottom, works with the keyboard alone, scales to long flows, and its JSON diffs line by line
// (README, "Chatbot flows"). Whether a flow can be published is the server's answer: its problems
// (unreachable steps, dead ends, choices over a channel's limit, unknown variables…) are placed
// on the step their field names. The try-it simulator runs the server's engine without a customer.

import { Fragment } from 'preact';
import { useEffect, useMemo, useState } from 'preact/hooks';
import { toAppError } from '../bridge';
import { useApp, useController } from '../context';
import { errorText, has, t, type MessageKey } from '../i18n';
import {
  addStep,
  cleanDefinition,
  emptyDefinition,
  FLOW_CHANNELS,
  moveStep,
  problemField,
  problemsByStep,
  removeStep,
  RULE_OPS,
  STEP_TYPES,
  stepTargets,
  updateStep,
  VALIDATIONS,
  type StepType,
} from '../logic/flows';
import type { Flow, FlowDefinition, FlowStep, SimulateRequest, SimulateResponse, SimulateState, WireError } from '../types';
import { Dialog } from './Dialog';

const label = (key: string) => (has(key) ? t(key) : key);

export function FlowsDialog() {
  const ctl = useController();
  const isAdmin = useApp((s) => s.session?.user?.role === 'admin');
  const [list, setList] = useState<Flow[] | null>(null);
  const [error, setError] = useState('');
  const [editing, setEditing] = useState<Flow | null>(null);
  const [importing, setImporting] = useState(false);
  const [exported, setExported] = useState<{ name: string; text: string } | null>(null);

  const load = async () => {
    setError('');
    try {
      setList(await ctl.flowsForAdmin());
    } catch (e) {
      setError(errorText(toAppError(e)));
      setList([]);
    }
  };
  useEffect(() => {
    if (isAdmin) void load();
  }, [isAdmin]);

  const open = async (id: number) => {
    setError('');
    try {
      setEditing(await ctl.flow(id));
    } catch (e) {
      setError(errorText(toAppError(e)));
    }
  };

  const doExport = async (f: Flow) => {
    try {
      setExported({ name: f.name, text: await ctl.exportFlow(f.id) });
    } catch (e) {
      setError(errorText(toAppError(e)));
    }
  };

  const archive = async (f: Flow) => {
    try {
      await ctl.archiveFlow(f.id);
      ctl.toast('success', t('flows.archived'));
      await load();
    } catch (e) {
      setError(errorText(toAppError(e)));
    }
  };

  const body = !isAdmin ? (
    <div class="form-error" role="alert" data-testid="flows-admin-only">
      {t('flows.adminOnly')}
    </div>
  ) : editing ? (
    <FlowEditor
      initial={editing}
      onBack={() => {
        setEditing(null);
        void load();
      }}
    />
  ) : (
    <div class="flows">
      <div class="channel-actions">
        <button type="button" class="btn btn-primary btn-sm" data-testid="flow-new" onClick={() => setEditing({ id: 0, name: t('flows.newName'), latest_version: 0, published_version: 0, created_at: 0, updated_at: 0, definition: emptyDefinition() })}>
          {t('flows.new')}
        </button>
        <button type="button" class="btn btn-sm" data-testid="flow-import" aria-expanded={importing} onClick={() => setImporting(!importing)}>
          {t('flows.import')}
        </button>
      </div>
      {importing ? (
        <ImportPanel
          onDone={(f) => {
            setImporting(false);
            ctl.toast('success', t('flows.imported'));
            void load();
            void open(f.id);
          }}
        />
      ) : null}
      {exported ? (
        <div class="field" data-testid="flow-exported">
          <span>{t('flows.exported', { name: exported.name })}</span>
          <textarea class="input" rows={8} readOnly data-testid="flow-export-text" value={exported.text} />
          <a class="btn btn-sm" download={`${exported.name}.json`} href={'data:application/json;charset=utf-8,' + encodeURIComponent(exported.text)} data-testid="flow-export-download">
            {t('flows.export')}
          </a>
        </div>
      ) : null}
      {error ? (
        <div class="form-error" role="alert" data-testid="flows-error">
          {error}
        </div>
      ) : null}
      {list == null ? (
        <div class="muted">{t('flows.loading')}</div>
      ) : list.length === 0 ? (
        <div class="muted" data-testid="flows-list-empty">
          {t('flows.empty')}
        </div>
      ) : (
        <ul class="flow-list" data-testid="flows-list">
          {list.map((f) => (
            <li key={f.id} class="flow-list-item" data-testid={`flow-row-${f.id}`}>
              <strong>{f.name}</strong>
              <span class="muted small" data-testid={`flow-status-${f.id}`}>
                {statusText(f)}
              </span>
              <button type="button" class="btn btn-sm" data-testid={`flow-edit-${f.id}`} onClick={() => void open(f.id)}>
                {t('flows.edit')}
              </button>
              <button type="button" class="btn btn-sm" data-testid={`flow-export-${f.id}`} onClick={() => void doExport(f)}>
                {t('flows.export')}
              </button>
              <button type="button" class="btn btn-sm btn-danger-soft" data-testid={`flow-archive-${f.id}`} onClick={() => void archive(f)}>
                {t('flows.archive')}
              </button>
            </li>
          ))}
        </ul>
      )}
    </div>
  );
  return (
    <Dialog title={t('flows.title')} testId="flows-dialog" onClose={() => ctl.closeDialog()} width={editing ? 1120 : 640}>
      {body}
    </Dialog>
  );
}

function statusText(f: Flow): string {
  if (f.published_version === 0) return t('flows.draft');
  if (f.latest_version > f.published_version) return `${t('flows.publishedVersion', { v: f.published_version })} · ${t('flows.unpublished', { v: f.latest_version })}`;
  return t('flows.publishedVersion', { v: f.published_version });
}

function ImportPanel({ onDone }: { onDone: (f: Flow) => void }) {
  const ctl = useController();
  const [text, setText] = useState('');
  const [error, setError] = useState('');
  const submit = async () => {
    setError('');
    try {
      onDone(await ctl.importFlow(text));
    } catch (e) {
      setError(errorText(toAppError(e)));
    }
  };
  return (
    <div class="field">
      <input
        type="file"
        accept="application/json,.json"
        data-testid="flow-import-file"
        onChange={async (e) => {
          const f = e.currentTarget.files?.[0];
          if (f) setText(await f.text());
        }}
      />
      <textarea class="input" rows={6} data-testid="flow-import-text" value={text} onInput={(e) => setText(e.currentTarget.value)} aria-label={t('flows.import')} />
      {error ? (
        <div class="form-error" role="alert" data-testid="flow-import-error">
          {error}
        </div>
      ) : null}
      <button type="button" class="btn btn-primary btn-sm" data-testid="flow-import-confirm" disabled={!text.trim()} onClick={() => void submit()}>
        {t('flows.import')}
      </button>
    </div>
  );
}

/** A problem as a line: the code's text in the UI's language, where in the step, the server's detail. */
function ProblemLine({ p }: { p: WireError }) {
  const where = problemField(p);
  return (
    <li data-code={p.code}>
      {where ? <code>{where}</code> : null} {errorText(p)} {p.message ? <span class="muted">({p.message})</span> : null}
    </li>
  );
}

function FlowEditor({ initial, onBack }: { initial: Flow; onBack: () => void }) {
  const ctl = useController();
  const [flow, setFlow] = useState<Flow>(initial);
  const [name, setName] = useState(initial.name);
  const [def, setDef] = useState<FlowDefinition>(initial.definition ?? emptyDefinition());
  const [problems, setProblems] = useState<WireError[] | null>(null);
  const [error, setError] = useState('');
  const [busy, setBusy] = useState(false);
  const [addType, setAddType] = useState<StepType>('message');
  const steps = def.steps ?? [];
  const byStep = useMemo(() => problemsByStep(problems ?? []), [problems]);
  const ids = steps.map((s) => s.id);

  const change = (d: FlowDefinition) => {
    setDef(d);
    setProblems(null); // the server's answer was about the previous definition
  };

  const run = async (fn: () => Promise<void>) => {
    setBusy(true);
    setError('');
    try {
      await fn();
    } catch (e) {
      const err = toAppError(e);
      if (err.problems && err.problems.length > 0) setProblems(err.problems);
      else setError(errorText(err));
    } finally {
      setBusy(false);
    }
  };

  const validate = () => run(async () => setProblems(await ctl.validateFlow(cleanDefinition(def))));
  const save = async (): Promise<Flow> => {
    const saved = await ctl.saveFlow(flow.id, name, cleanDefinition(def));
    setFlow(saved);
    return saved;
  };
  const saveDraft = () =>
    run(async () => {
      const saved = await save();
      ctl.toast('success', t('flows.saved', { v: saved.latest_version }));
      setProblems(await ctl.validateFlow(cleanDefinition(def)));
    });
  const publish = () =>
    run(async () => {
      const saved = await save();
      const published = await ctl.publishFlow(saved.id);
      setFlow(published);
      setProblems([]);
      ctl.toast('success', t('flows.publishedToast', { v: published.published_version }));
    });

  const general = byStep.get(-1) ?? [];
  return (
    <div class="flow-editor" data-testid="flow-editor">
      <div class="flow-editor-main">
        <div class="flow-meta">
          <label class="field">
            <span>{t('flows.name')}</span>
            <input class="input" data-testid="flow-name" value={name} onInput={(e) => setName(e.currentTarget.value)} />
          </label>
          <label class="field">
            <span>{t('flows.start')}</span>
            <StepSelect testId="flow-start" value={def.start} ids={ids} onChange={(v) => change({ ...def, start: v })} />
          </label>
          <span class="muted small" data-testid="flow-status">
            {flow.id ? statusText(flow) : t('flows.draft')}
          </span>
        </div>
        <fieldset class="flow-channels">
          <legend class="small">{t('flows.channels')}</legend>
          {FLOW_CHANNELS.map((c) => (
            <label key={c}>
              <input
                type="checkbox"
                data-testid={`flow-channel-${c}`}
                checked={(def.channels ?? []).includes(c)}
                onChange={(e) => {
                  const on = e.currentTarget.checked;
                  const cur = def.channels ?? [];
                  change({ ...def, channels: on ? [...cur, c] : cur.filter((x) => x !== c) });
                }}
              />{' '}
              {label('channel.' + c)}
            </label>
          ))}
          <small class="muted">{t('flows.channelsHint')}</small>
        </fieldset>
        <div class="channel-actions">
          <button type="button" class="btn btn-sm" data-testid="flow-validate" disabled={busy} onClick={() => void validate()}>
            {t('flows.validate')}
          </button>
          <button type="button" class="btn btn-sm" data-testid="flow-save" disabled={busy || !name.trim()} onClick={() => void saveDraft()}>
            {t('flows.save')}
          </button>
          <button type="button" class="btn btn-primary btn-sm" data-testid="flow-publish" disabled={busy || !name.trim()} onClick={() => void publish()}>
            {t('flows.publish')}
          </button>
          <button type="button" class="btn btn-sm" data-testid="flow-back" onClick={onBack}>
            {t('flows.back')}
          </button>
          {problems && problems.length > 0 ? (
            <strong class="form-error" data-testid="flow-problem-count">
              {t('flows.problems', { n: problems.length })}
            </strong>
          ) : null}
          {problems && problems.length === 0 ? (
            <span class="muted small" data-testid="flow-valid">
              {t('flows.valid')}
            </span>
          ) : null}
        </div>
        {error ? (
          <div class="form-error" role="alert" data-testid="flow-error">
            {error}
          </div>
        ) : null}
        {general.length > 0 ? (
          <div data-testid="flow-problems-general">
            <strong class="small">{t('flows.flowProblems')}</strong>
            <ul class="flow-problems">
              {general.map((p, i) => (
                <ProblemLine key={i} p={p} />
              ))}
            </ul>
          </div>
        ) : null}
        <h3 class="section-title">{t('flows.outline')}</h3>
        <ol class="flow-outline" data-testid="flow-outline">
          {steps.map((s, i) => (
            <StepCard
              key={`${i}-${s.id}`}
              index={i}
              step={s}
              ids={ids}
              isStart={s.id === def.start}
              problems={byStep.get(i) ?? []}
              last={i === steps.length - 1}
              onChange={(next) => change(updateStep(def, i, next))}
              onMove={(by) => change(moveStep(def, i, by))}
              onRemove={() => change(removeStep(def, i))}
              onAdd={(type) => change(addStep(def, type, i))}
            />
          ))}
        </ol>
        <div class="channel-actions">
          <select class="input" data-testid="flow-add-type" value={addType} onChange={(e) => setAddType(e.currentTarget.value as StepType)} aria-label={t('flows.addStep')}>
            {STEP_TYPES.map((ty) => (
              <option key={ty} value={ty}>
                {t(('flows.type.' + ty) as MessageKey)}
              </option>
            ))}
          </select>
          <button type="button" class="btn btn-sm" data-testid="flow-add" onClick={() => change(addStep(def, addType, steps.length - 1))}>
            {t('flows.addStep')}
          </button>
        </div>
      </div>
      <Simulator def={def} />
    </div>
  );
}

function StepSelect({ value, ids, onChange, testId }: { value: string | undefined; ids: string[]; onChange: (v: string) => void; testId: string }) {
  const known = !value || ids.includes(value);
  return (
    <select class="input" data-testid={testId} value={value ?? ''} onChange={(e) => onChange(e.currentTarget.value)}>
      <option value="">{t('flows.f.none')}</option>
      {!known ? <option value={value}>{value}</option> : null}
      {ids.map((id) => (
        <option key={id} value={id}>
          {id}
        </option>
      ))}
    </select>
  );
}

interface CardProps {
  index: number;
  step: FlowStep;
  ids: string[];
  isStart: boolean;
  problems: WireError[];
  last: boolean;
  onChange: (s: FlowStep) => void;
  onMove: (by: -1 | 1) => void;
  onRemove: () => void;
  onAdd: (type: StepType) => void;
}

function StepCard({ index: i, step: s, ids, isStart, problems, last, onChange, onMove, onRemove, onAdd }: CardProps) {
  const endReasons = useApp((st) => st.inbox.end_reasons);
  const set = (p: Partial<FlowStep>) => onChange({ ...s, ...p });
  const tid = (f: string) => `step-${i}-${f}`;
  const text = (f: keyof FlowStep, key: MessageKey, opts: { area?: boolean; wide?: boolean } = {}) => (
    <label class={'field' + (opts.wide || opts.area ? ' wide' : '')}>
      <span>{t(key)}</span>
      {opts.area ? (
        <textarea class="input" rows={2} data-testid={tid(f)} value={String(s[f] ?? '')} onInput={(e) => set({ [f]: e.currentTarget.value } as Partial<FlowStep>)} />
      ) : (
        <input class="input" data-testid={tid(f)} value={String(s[f] ?? '')} onInput={(e) => set({ [f]: e.currentTarget.value } as Partial<FlowStep>)} />
      )}
    </label>
  );
  const num = (f: 'timeout_seconds' | 'quick_message_id' | 'retries', key: MessageKey) => (
    <label class="field">
      <span>{t(key)}</span>
      <input
        class="input"
        type="number"
        min={0}
        data-testid={tid(f)}
        value={s[f] == null ? '' : String(s[f])}
        onInput={(e) => {
          const v = e.currentTarget.value;
          set({ [f]: v === '' ? undefined : Number(v) } as Partial<FlowStep>);
        }}
      />
    </label>
  );
  const link = (f: 'next' | 'on_invalid' | 'on_timeout' | 'on_failure' | 'else', key: MessageKey) => (
    <label class="field">
      <span>{t(key)}</span>
      <StepSelect testId={tid(f)} value={s[f]} ids={ids} onChange={(v) => set({ [f]: v } as Partial<FlowStep>)} />
    </label>
  );
  const asks = s.type === 'ask' || s.type === 'collect';
  return (
    <li class={'flow-step' + (problems.length > 0 ? ' has-problems' : '')} data-testid={`flow-step-${i}`} data-step-id={s.id} data-type={s.type}>
      <div class="flow-step-head">
        <span class="muted">{i + 1}.</span>
        <span class="step-type">{label('flows.type.' + s.type)}</span>
        <input class="input" style={{ width: '110px' }} aria-label={t('flows.stepId')} title={t('flows.stepId')} data-testid={tid('id')} value={s.id} onChange={(e) => set({ id: e.currentTarget.value.trim() })} />
        {isStart ? <span class="badge">{t('flows.isStart')}</span> : null}
        <span class="step-links">{stepTargets(s).length > 0 ? t('flows.goesTo', { steps: stepTargets(s).join(', ') }) : ''}</span>
        <button type="button" class="icon-btn" data-testid={tid('up')} aria-label={t('flows.moveUp')} title={t('flows.moveUp')} disabled={i === 0} onClick={() => onMove(-1)}>
          ↑
        </button>
        <button type="button" class="icon-btn" data-testid={tid('down')} aria-label={t('flows.moveDown')} title={t('flows.moveDown')} disabled={last} onClick={() => onMove(1)}>
          ↓
        </button>
        <select class="input" style={{ width: '40px' }} data-testid={tid('add')} aria-label={t('flows.addStepAfter')} title={t('flows.addStepAfter')} value="" onChange={(e) => e.currentTarget.value && onAdd(e.currentTarget.value as StepType)}>
          <option value="">+</option>
          {STEP_TYPES.map((ty) => (
            <option key={ty} value={ty}>
              {t(('flows.type.' + ty) as MessageKey)}
            </option>
          ))}
        </select>
        <button type="button" class="icon-btn" data-testid={tid('remove')} aria-label={t('flows.remove')} title={t('flows.remove')} onClick={onRemove}>
          ✕
        </button>
      </div>
      {problems.length > 0 ? (
        <ul class="flow-problems" data-testid={`flow-step-problems-${i}`} role="alert">
          {problems.map((p, k) => (
            <ProblemLine key={k} p={p} />
          ))}
        </ul>
      ) : null}
      <div class="flow-step-body">
        {text('title', 'flows.stepTitle')}
        {s.type === 'message' || asks ? text('text', 'flows.f.text', { area: true }) : null}
        {s.type === 'message' ? (
          <>
            <label class="field">
              <span>{t('flows.f.mediaURL')}</span>
              <input
                class="input"
                data-testid={tid('media_url')}
                value={s.media?.url ?? ''}
                onInput={(e) => {
                  const url = e.currentTarget.value;
                  set({ media: url ? { kind: s.media?.kind || 'image', url } : null });
                }}
              />
            </label>
            <label class="field">
              <span>{t('flows.f.mediaKind')}</span>
              <select class="input" data-testid={tid('media_kind')} value={s.media?.kind ?? 'image'} disabled={!s.media?.url} onChange={(e) => s.media && set({ media: { ...s.media, kind: e.currentTarget.value } })}>
                {['image', 'document', 'video', 'audio'].map((k) => (
                  <option key={k} value={k}>
                    {label('message.attachment.' + k)}
                  </option>
                ))}
              </select>
            </label>
            {num('quick_message_id', 'flows.f.quick')}
          </>
        ) : null}
        {s.type === 'ask' ? (
          <>
            {text('header', 'flows.f.header')}
            {text('footer', 'flows.f.footer')}
            {text('button', 'flows.f.button')}
            <div class="flow-rows" data-testid={tid('choices')}>
              <span class="field-label">{t('flows.f.choices')}</span>
              {(s.choices ?? []).map((c, k) => {
                const setC = (p: Partial<typeof c>) => set({ choices: (s.choices ?? []).map((x, j) => (j === k ? { ...x, ...p } : x)) });
                return (
                  <div class="flow-row" key={k}>
                    <input class="input" style={{ width: '80px' }} aria-label={t('flows.f.choiceId')} placeholder={t('flows.f.choiceId')} data-testid={tid(`choice-${k}-id`)} value={c.id} onInput={(e) => setC({ id: e.currentTarget.value })} />
                    <input class="input" aria-label={t('flows.f.choiceTitle')} placeholder={t('flows.f.choiceTitle')} data-testid={tid(`choice-${k}-title`)} value={c.title} onInput={(e) => setC({ title: e.currentTarget.value })} />
                    <input class="input" aria-label={t('flows.f.choiceDesc')} placeholder={t('flows.f.choiceDesc')} data-testid={tid(`choice-${k}-description`)} value={c.description ?? ''} onInput={(e) => setC({ description: e.currentTarget.value })} />
                    <StepSelect testId={tid(`choice-${k}-next`)} value={c.next} ids={ids} onChange={(v) => setC({ next: v })} />
                    <button type="button" class="icon-btn" aria-label={t('flows.f.remove')} data-testid={tid(`choice-${k}-remove`)} onClick={() => set({ choices: (s.choices ?? []).filter((_, j) => j !== k) })}>
                      ✕
                    </button>
                  </div>
                );
              })}
              <button
                type="button"
                class="btn btn-sm"
                data-testid={tid('add-choice')}
                onClick={() => {
                  const used = new Set((s.choices ?? []).map((c) => c.id));
                  let n = (s.choices ?? []).length + 1;
                  while (used.has('c' + n)) n++;
                  set({ choices: [...(s.choices ?? []), { id: 'c' + n, title: '', next: '' }] });
                }}
              >
                {t('flows.f.addChoice')}
              </button>
            </div>
          </>
        ) : null}
        {asks || s.type === 'wait' || s.type === 'set' ? text('attribute', 'flows.f.attribute') : null}
        {s.type === 'collect' ? (
          <>
            <label class="field">
              <span>{t('flows.f.validate')}</span>
              <select class="input" data-testid={tid('validate')} value={s.validate ?? 'text'} onChange={(e) => set({ validate: e.currentTarget.value })}>
                {VALIDATIONS.map((v) => (
                  <option key={v} value={v}>
                    {t(('flows.validation.' + v) as MessageKey)}
                  </option>
                ))}
              </select>
            </label>
            {s.validate === 'pattern' ? text('pattern', 'flows.f.pattern') : null}
          </>
        ) : null}
        {asks ? (
          <>
            {num('retries', 'flows.f.retries')}
            {text('invalid_text', 'flows.f.invalidText')}
            {link('on_invalid', 'flows.f.onInvalid')}
          </>
        ) : null}
        {asks || s.type === 'wait' ? (
          <>
            {num('timeout_seconds', 'flows.f.timeout')}
            {link('on_timeout', 'flows.f.onTimeout')}
          </>
        ) : null}
        {s.type === 'set' ? text('value', 'flows.f.value') : null}
        {s.type === 'branch' ? (
          <>
            <div class="flow-rows" data-testid={tid('rules')}>
              <span class="field-label">{t('flows.f.rules')}</span>
              {(s.rules ?? []).map((r, k) => {
                const setR = (p: Partial<typeof r>) => set({ rules: (s.rules ?? []).map((x, j) => (j === k ? { ...x, ...p } : x)) });
                return (
                  <div class="flow-row" key={k}>
                    <input class="input" aria-label={t('flows.f.attribute')} placeholder={t('flows.f.attribute')} data-testid={tid(`rule-${k}-attribute`)} value={r.attribute} onInput={(e) => setR({ attribute: e.currentTarget.value })} />
                    <select class="input" data-testid={tid(`rule-${k}-op`)} value={r.op} onChange={(e) => setR({ op: e.currentTarget.value })}>
                      {RULE_OPS.map((op) => (
                        <option key={op} value={op}>
                          {t(('flows.op.' + op) as MessageKey)}
                        </option>
                      ))}
                    </select>
                    <input class="input" aria-label={t('flows.f.value')} placeholder={t('flows.f.value')} data-testid={tid(`rule-${k}-value`)} value={r.value ?? ''} disabled={r.op === 'empty' || r.op === 'not_empty'} onInput={(e) => setR({ value: e.currentTarget.value })} />
                    <StepSelect testId={tid(`rule-${k}-next`)} value={r.next} ids={ids} onChange={(v) => setR({ next: v })} />
                    <button type="button" class="icon-btn" aria-label={t('flows.f.remove')} data-testid={tid(`rule-${k}-remove`)} onClick={() => set({ rules: (s.rules ?? []).filter((_, j) => j !== k) })}>
                      ✕
                    </button>
                  </div>
                );
              })}
              <button type="button" class="btn btn-sm" data-testid={tid('add-rule')} onClick={() => set({ rules: [...(s.rules ?? []), { attribute: '', op: 'equals', value: '', next: '' }] })}>
                {t('flows.f.addRule')}
              </button>
            </div>
            {link('else', 'flows.f.else')}
          </>
        ) : null}
        {s.type === 'http' ? <HTTPFields step={s} tid={tid} set={set} /> : null}
        {s.type === 'http' ? link('on_failure', 'flows.f.onFailure') : null}
        {s.type === 'handover' ? (
          <>
            {text('tag', 'flows.f.tag')}
            <label class="setting setting-check">
              <input type="checkbox" data-testid={tid('priority')} checked={s.priority === 'high'} onChange={(e) => set({ priority: e.currentTarget.checked ? 'high' : '' })} />
              <span>{t('flows.f.priority')}</span>
            </label>
          </>
        ) : null}
        {s.type === 'end' ? (
          <label class="field">
            <span>{t('flows.f.endReason')}</span>
            <select class="input" data-testid={tid('end_reason_id')} value={String(s.end_reason_id ?? 0)} onChange={(e) => set({ end_reason_id: Number(e.currentTarget.value) })}>
              <option value="0">{t('flows.f.none')}</option>
              {endReasons.map((r) => (
                <option key={r.id} value={String(r.id)}>
                  {r.label}
                </option>
              ))}
            </select>
          </label>
        ) : null}
        {s.type !== 'handover' && s.type !== 'end' && s.type !== 'branch' ? link('next', 'flows.f.next') : null}
      </div>
    </li>
  );
}

/** "Name: value" lines ⇄ a map (HTTP headers, the answer's fields mapped into attributes). */
function linesToMap(text: string, sep: string): Record<string, string> | undefined {
  const out: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const i = line.indexOf(sep);
    if (i > 0) out[line.slice(0, i).trim()] = line.slice(i + sep.length).trim();
  }
  return Object.keys(out).length > 0 ? out : undefined;
}
const mapToLines = (m: Record<string, string> | undefined, sep: string) =>
  Object.entries(m ?? {})
    .map(([k, v]) => `${k}${sep}${v}`)
    .join('\n');

function HTTPFields({ step: s, tid, set }: { step: FlowStep; tid: (f: string) => string; set: (p: Partial<FlowStep>) => void }) {
  const h = s.http ?? { method: 'GET', url: '' };
  const setH = (p: Partial<typeof h>) => set({ http: { ...h, ...p } });
  // The textareas keep what the admin types; the map is what the server gets.
  const [headers, setHeaders] = useState(mapToLines(h.headers, ': '));
  const [mapping, setMapping] = useState(mapToLines(h.map, '='));
  return (
    <>
      <label class="field">
        <span>{t('flows.f.method')}</span>
        <select class="input" data-testid={tid('http-method')} value={h.method} onChange={(e) => setH({ method: e.currentTarget.value })}>
          {['GET', 'POST', 'PUT', 'PATCH', 'DELETE'].map((m) => (
            <option key={m}>{m}</option>
          ))}
        </select>
      </label>
      <label class="field wide">
        <span>{t('flows.f.url')}</span>
        <input class="input" data-testid={tid('http-url')} value={h.url} onInput={(e) => setH({ url: e.currentTarget.value })} />
      </label>
      <label class="field">
        <span>{t('flows.f.httpTimeout')}</span>
        <input class="input" type="number" min={1} max={30} data-testid={tid('http-timeout')} value={String(h.timeout_seconds ?? '')} onInput={(e) => setH({ timeout_seconds: Number(e.currentTarget.value) || undefined })} />
      </label>
      <label class="field wide">
        <span>{t('flows.f.headers')}</span>
        <textarea
          class="input"
          rows={2}
          data-testid={tid('http-headers')}
          value={headers}
          onInput={(e) => {
            setHeaders(e.currentTarget.value);
            setH({ headers: linesToMap(e.currentTarget.value, ':') });
          }}
        />
      </label>
      <label class="field wide">
        <span>{t('flows.f.body')}</span>
        <textarea class="input" rows={3} data-testid={tid('http-body')} value={h.body ?? ''} onInput={(e) => setH({ body: e.currentTarget.value })} />
      </label>
      <label class="field wide">
        <span>{t('flows.f.map')}</span>
        <textarea
          class="input"
          rows={2}
          data-testid={tid('http-map')}
          value={mapping}
          onInput={(e) => {
            setMapping(e.currentTarget.value);
            setH({ map: linesToMap(e.currentTarget.value, '=') });
          }}
        />
      </label>
    </>
  );
}

type SimLine = { who: 'bot' | 'customer' | 'note'; text: string; choices?: Array<{ id: string; title: string }> };

/** The try-it simulator: each turn is one server call running the engine on the definition as
 * it is in the editor (unsaved too), with no customer and nothing sent. */
function Simulator({ def }: { def: FlowDefinition }) {
  const ctl = useController();
  const [channel, setChannel] = useState('sandbox');
  const [log, setLog] = useState<SimLine[]>([]);
  const [state, setState] = useState<SimulateState | null>(null);
  const [last, setLast] = useState<SimulateResponse | null>(null);
  const [answer, setAnswer] = useState('');
  const [error, setError] = useState('');
  const [busy, setBusy] = useState(false);

  const turn = async (input: { text?: string; choice?: string; timeout?: boolean; restart?: boolean }, shown?: string) => {
    setBusy(true);
    setError('');
    try {
      // Only what this turn says: the first turn has no state, an answer no timeout.
      const req: SimulateRequest = { definition: cleanDefinition(def), channel_type: channel };
      if (!input.restart && state) req.state = state;
      if (input.text) req.text = input.text;
      if (input.choice) req.choice = input.choice;
      if (input.timeout) req.timeout = true;
      const res = await ctl.simulateFlow(req);
      const lines: SimLine[] = input.restart ? [] : [...log];
      if (shown) lines.push({ who: 'customer', text: shown });
      if (input.timeout) lines.push({ who: 'note', text: t('flows.sim.timeout') });
      for (const m of res.messages ?? []) {
        const choices = m.interactive && m.interactive.style !== 'numbered' ? (m.interactive.choices ?? []).map((c) => ({ id: c.id, title: c.title })) : undefined;
        lines.push({ who: 'bot', text: m.body, choices });
      }
      if (res.exit) lines.push({ who: 'note', text: t(res.exit === 'end' ? 'flows.sim.exit.end' : 'flows.sim.exit.handover') });
      setLog(lines);
      setState(res.state ?? null);
      setLast(res);
      setAnswer('');
    } catch (e) {
      const err = toAppError(e);
      setError(err.problems?.length ? err.problems.map((p) => errorText(p)).join(' ') : errorText(err));
    } finally {
      setBusy(false);
    }
  };

  const waiting = !!state && !last?.exit;
  return (
    <aside class="flow-sim" data-testid="flow-sim" aria-label={t('flows.sim.title')}>
      <h3 class="section-title">{t('flows.sim.title')}</h3>
      <small class="muted">{t('flows.sim.hint')}</small>
      <label class="field">
        <span>{t('flows.sim.channel')}</span>
        <select class="input" data-testid="sim-channel" value={channel} onChange={(e) => setChannel(e.currentTarget.value)}>
          {FLOW_CHANNELS.map((c) => (
            <option key={c} value={c}>
              {label('channel.' + c)}
            </option>
          ))}
        </select>
      </label>
      <button type="button" class="btn btn-primary btn-sm" data-testid="sim-start" disabled={busy} onClick={() => void turn({ restart: true })}>
        {last ? t('flows.sim.restart') : t('flows.sim.start')}
      </button>
      <div class="flow-sim-log" data-testid="sim-log" role="log">
        {log.map((l, i) => (
          <div key={i} class={l.who === 'bot' ? 'sim-bot' : l.who === 'customer' ? 'sim-customer' : 'muted small'} data-who={l.who}>
            {l.text}
            {l.choices && l.choices.length > 0 ? (
              <div class="flow-sim-choices">
                {l.choices.map((c) => (
                  <button type="button" class="btn btn-sm" key={c.id} data-testid={`sim-choice-${c.id}`} disabled={busy || !waiting || i !== lastBot(log)} onClick={() => void turn({ choice: c.id }, c.title)}>
                    {c.title}
                  </button>
                ))}
              </div>
            ) : null}
          </div>
        ))}
      </div>
      {error ? (
        <div class="form-error small" role="alert" data-testid="sim-error">
          {error}
        </div>
      ) : null}
      {waiting ? (
        <form
          class="flow-row"
          onSubmit={(e) => {
            e.preventDefault();
            if (answer.trim()) void turn({ text: answer }, answer);
          }}
        >
          <input class="input" data-testid="sim-answer" aria-label={t('flows.sim.answer')} placeholder={t('flows.sim.answer')} value={answer} onInput={(e) => setAnswer(e.currentTarget.value)} />
          <button type="submit" class="btn btn-sm" data-testid="sim-send" disabled={busy || !answer.trim()}>
            {t('flows.sim.send')}
          </button>
        </form>
      ) : null}
      {waiting && last?.waiting?.includes('timeout') ? (
        <button type="button" class="btn btn-sm" data-testid="sim-timeout" disabled={busy} onClick={() => void turn({ timeout: true })}>
          {t('flows.sim.timeout')}
        </button>
      ) : null}
      {last?.waiting && waiting ? (
        <div class="muted small" data-testid="sim-waiting">
          {t('flows.sim.waiting', { w: last.waiting })}
        </div>
      ) : null}
      {last ? (
        <>
          <strong class="small">{t('flows.sim.attributes')}</strong>
          <dl class="kv" data-testid="sim-attributes">
            {Object.entries(last.attributes ?? {}).map(([k, v]) => (
              <Fragment key={k}>
                <dt>{k}</dt>
                <dd data-testid={`sim-attr-${k}`}>{v}</dd>
              </Fragment>
            ))}
          </dl>
          <details>
            <summary class="small">{t('flows.sim.trace')}</summary>
            <div class="muted small" data-testid="sim-trace">
              {(last.trace ?? []).join(' → ')}
            </div>
          </details>
        </>
      ) : null}
    </aside>
  );
}

function lastBot(log: SimLine[]): number {
  for (let i = log.length - 1; i >= 0; i--) if (log[i].who === 'bot') return i;
  return -1;
}
