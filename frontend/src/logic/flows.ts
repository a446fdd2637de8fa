// Chatbot flows as the UI shows them: the side panel's transcript of each run, the server's
// validation problems placed on the editor's steps, and the editor's outline operations (add,
// move, remove a step). No rule of the engine lives here: what a flow does, and whether it can
// be published, is the server's answer (ValidateFlow, SimulateFlow).

import type { FlowDefinition, FlowRunSummary, FlowStep, Message, WireError } from '../types';

/** The step types the engine runs (backend/wire/flows.go), in the order the editor offers them. */
export const STEP_TYPES = ['message', 'ask', 'collect', 'branch', 'set', 'http', 'wait', 'handover', 'end'] as const;
export type StepType = (typeof STEP_TYPES)[number];

/** What a collect step accepts (wire.Validate*). */
export const VALIDATIONS = ['text', 'number', 'phone', 'email', 'pattern'] as const;

/** The comparisons of a branch rule (wire.FlowRule). */
export const RULE_OPS = ['equals', 'not_equals', 'contains', 'matches', 'empty', 'not_empty', 'gt', 'lt'] as const;

/** The channel types a flow may be meant for (publishing checks questions against their limits). */
export const FLOW_CHANNELS = ['whatsapp', 'messenger', 'instagram', 'telegram', 'webchat', 'sandbox'] as const;

/** The messages of one run of a flow: from the hand-over to the flow until the flow let the
 * conversation go (or now, while it runs), the customer's answers included. */
export function runTranscript(run: FlowRunSummary, messages: Message[]): Message[] {
  const end = run.ended_at && run.ended_at > 0 ? run.ended_at : Number.POSITIVE_INFINITY;
  return messages.filter((m) => m.created_at >= run.started_at && m.created_at <= end).sort((a, b) => a.created_at - b.created_at || a.id - b.id);
}

/** Attributes in a stable order for the side panel (the flow's own names, alphabetical). */
export function sortedAttributes(attrs: Record<string, string> | null | undefined): Array<[string, string]> {
  return Object.entries(attrs ?? {}).sort(([a], [b]) => a.localeCompare(b, 'tr'));
}

/** The step a server problem is about: its field names it ("definition.steps[2].choices[0]"). */
export function problemStep(p: Pick<WireError, 'field'>): number | null {
  const m = /(?:^|\.)steps\[(\d+)\]/.exec(p.field ?? '');
  return m ? Number(m[1]) : null;
}

/** The problems grouped by step index; those about the flow as a whole under -1. */
export function problemsByStep(problems: WireError[]): Map<number, WireError[]> {
  const out = new Map<number, WireError[]>();
  for (const p of problems) {
    const i = problemStep(p) ?? -1;
    out.set(i, [...(out.get(i) ?? []), p]);
  }
  return out;
}

/** The rest of a problem's field after its step ("choices[0].title"), to say where in the step. */
export function problemField(p: Pick<WireError, 'field'>): string {
  const f = p.field ?? '';
  const m = /(?:^|\.)steps\[\d+\]\.?(.*)$/.exec(f);
  return m ? m[1] : f.replace(/^definition\.?/, '');
}

/** A step id not yet used in the definition: the type and a number ("ask2"). */
export function freshStepId(def: FlowDefinition, type: string): string {
  const used = new Set((def.steps ?? []).map((s) => s.id));
  for (let n = 1; ; n++) {
    const id = `${type}${n}`;
    if (!used.has(id)) return id;
  }
}

/** A new step of a type with the fields it needs, empty. */
export function newStep(def: FlowDefinition, type: StepType): FlowStep {
  const id = freshStepId(def, type);
  switch (type) {
    case 'message':
      return { id, type, text: '' };
    case 'ask':
      return { id, type, text: '', choices: [{ id: 'c1', title: '', next: '' }] };
    case 'collect':
      return { id, type, text: '', attribute: '', validate: 'text' };
    case 'branch':
      return { id, type, rules: [{ attribute: '', op: 'equals', value: '', next: '' }], else: '' };
    case 'set':
      return { id, type, attribute: '', value: '' };
    case 'http':
      return { id, type, http: { method: 'GET', url: '', timeout_seconds: 10 }, on_failure: '' };
    case 'wait':
      return { id, type, timeout_seconds: 600, on_timeout: '' };
    case 'handover':
      return { id, type };
    case 'end':
      return { id, type, end_reason_id: 0 };
  }
}

/** A new, empty flow: a welcome message handing over to the queue (valid as it stands). */
export function emptyDefinition(): FlowDefinition {
  return {
    start: 'welcome',
    steps: [
      { id: 'welcome', type: 'message', text: 'Merhaba {{customer.name}}!', next: 'queue' },
      { id: 'queue', type: 'handover' },
    ],
  };
}

/** Adds a step after index `after` (-1: at the top). */
export function addStep(def: FlowDefinition, type: StepType, after: number): FlowDefinition {
  const steps = [...(def.steps ?? [])];
  const step = newStep(def, type);
  steps.splice(after + 1, 0, step);
  return { ...def, steps, start: def.start || step.id };
}

/** Moves a step up (-1) or down (+1) in the outline; the graph (next, choices) is unchanged. */
export function moveStep(def: FlowDefinition, index: number, by: -1 | 1): FlowDefinition {
  const steps = [...(def.steps ?? [])];
  const to = index + by;
  if (to < 0 || to >= steps.length) return def;
  [steps[index], steps[to]] = [steps[to], steps[index]];
  return { ...def, steps };
}

/** Removes a step; links to it stay and the server's validation names them (unknown step). */
export function removeStep(def: FlowDefinition, index: number): FlowDefinition {
  const steps = (def.steps ?? []).filter((_, i) => i !== index);
  return { ...def, steps };
}

/** Replaces one step (after an edit in its form). Renaming a step's id renames the links to it,
 * so an edit never silently breaks the graph. */
export function updateStep(def: FlowDefinition, index: number, step: FlowStep): FlowDefinition {
  const old = (def.steps ?? [])[index];
  let steps = (def.steps ?? []).map((s, i) => (i === index ? step : s));
  let start = def.start;
  if (old && old.id !== step.id && old.id) {
    const r = (v: string | undefined) => (v === old.id ? step.id : v);
    steps = steps.map((s) => ({
      ...s,
      next: r(s.next),
      on_invalid: r(s.on_invalid),
      on_timeout: r(s.on_timeout),
      on_failure: r(s.on_failure),
      else: r(s.else),
      choices: s.choices?.map((c) => ({ ...c, next: r(c.next) ?? '' })),
      rules: s.rules?.map((x) => ({ ...x, next: r(x.next) ?? '' })),
    }));
    if (start === old.id) start = step.id;
  }
  return { ...def, steps, start };
}

/** The steps a step leads to, for the outline's "→" line. */
export function stepTargets(s: FlowStep): string[] {
  const out = [s.next, s.on_invalid, s.on_timeout, s.on_failure, s.else, ...(s.choices ?? []).map((c) => c.next), ...(s.rules ?? []).map((r) => r.next)];
  return [...new Set(out.filter((x): x is string => !!x))];
}

/** The definition as the server wants it: empty optional fields left out, so exports and
 * versions diff cleanly. */
export function cleanDefinition(def: FlowDefinition): FlowDefinition {
  const strip = <T extends object>(o: T): T =>
    Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined && v !== '' && v !== null && !(Array.isArray(v) && v.length === 0))) as T;
  const steps = (def.steps ?? []).map((s) => {
    const c = strip({ ...s });
    if (s.http) c.http = strip({ ...s.http });
    if (s.media) c.media = s.media.url ? strip({ ...s.media }) : undefined;
    if (!c.media) delete c.media;
    if (s.choices) c.choices = s.choices.map((x) => ({ ...strip({ ...x }), id: x.id, title: x.title, next: x.next }));
    if (s.rules) c.rules = s.rules.map((x) => ({ ...strip({ ...x }), attribute: x.attribute, op: x.op, next: x.next }));
    if (s.type === 'end') c.end_reason_id = s.end_reason_id ?? 0;
    return c;
  });
  const out: FlowDefinition = { start: def.start, steps };
  if (def.channels && def.channels.length > 0) out.channels = def.channels;
  return out;
}
