// Replays recorded answers of the real app Go side against a real santrald (written by
// app/record_test.go with -record, `make record`) behind the Wails bridge boundary:
// window.go.app.App (the bindings) and window.runtime (events). It holds no rule of its own:
// every answer is one the real app gave, in the step of the scenario it gave it.
//
// A recording is a list of steps. A step may start with an action (a binding call the user
// made: Pull, Send, Transfer, …); after it come the reads the screen makes (Session, Inbox,
// OpenConversation, …) and the events the app emitted. A call from the UI is answered:
//  - by the action of a later step, when it is exactly that call: the replay moves to that step
//    and emits the step's events after answering (the user did what the scenario did next);
//  - otherwise by the latest matching read at or before the current step (the state as it is);
//  - otherwise it is refused with "no recorded answer", listed in `misses`, so a test fails
//    rather than a made-up answer.
// Steps without an action (a customer writes, another agent accepts) are reached with advance().

export interface RecordedCall {
  method: string;
  args: unknown[];
  result?: unknown;
  error?: string;
}

export interface RecordedEvent {
  name: string;
  data: unknown;
}

export interface RecordedStep {
  name: string;
  about: string;
  action?: RecordedCall;
  reads: RecordedCall[];
  events: RecordedEvent[];
}

export interface Recording {
  scenario: string;
  app: string;
  about: string;
  /** What was edited by hand where the server does not fill a contract field yet. */
  hand_edited?: string[];
  ids: Record<string, any>;
  steps: RecordedStep[];
}

const files = import.meta.glob<Recording>('./recorded/*.json', { eager: true, import: 'default' });

/** A recording by file name (scenario, or scenario.app), as a fresh copy. */
export function recording(name: string): Recording {
  const r = files[`./recorded/${name}.json`];
  if (!r) throw new Error(`no recording ${name} (make record writes frontend/tests/recorded/)`);
  return structuredClone(r);
}

export function recordingNames(): string[] {
  return Object.keys(files).map((k) => k.replace('./recorded/', '').replace('.json', ''));
}

/** Methods whose answers describe the current state: an action of one of them also answers
 * later reads (OpenConversation as an action is the view from then on). */
const STATE_READS = new Set(['Session', 'Inbox', 'OpenConversation', 'Templates', 'History', 'RenderQuickMessage', 'MediaURL', 'ChannelAccounts', 'SetFocused']);

function canonical(v: unknown): string {
  return JSON.stringify(v, (_k, x) =>
    x && typeof x === 'object' && !Array.isArray(x)
      ? Object.fromEntries(Object.entries(x as Record<string, unknown>).filter(([, y]) => y !== undefined).sort(([a], [b]) => (a < b ? -1 : 1)))
      : x,
  );
}

const same = (c: RecordedCall, method: string, args: unknown[]) => c.method === method && canonical(c.args) === canonical(args);

interface Listener {
  cb: (...data: unknown[]) => void;
  left: number;
}

export class Replay {
  readonly rec: Recording;
  /** Every binding call the UI made, in order. */
  readonly calls: Array<{ method: string; args: unknown[] }> = [];
  /** Calls the recording has no answer for. */
  readonly misses: string[] = [];
  private pos = -1;
  private listeners = new Map<string, Listener[]>();

  constructor(rec: Recording | string, at?: string) {
    this.rec = typeof rec === 'string' ? recording(rec) : rec;
    if (at) this.pos = this.index(at);
  }

  /** The recording's ids (conversations, offers, users, …). */
  get ids(): Record<string, any> {
    return this.rec.ids;
  }

  get step(): string {
    return this.pos < 0 ? '' : this.rec.steps[this.pos].name;
  }

  private index(name: string): number {
    const i = this.rec.steps.findIndex((s) => s.name === name);
    if (i < 0) throw new Error(`no step ${name} in ${this.rec.scenario}.${this.rec.app}`);
    return i;
  }

  /** A read or action recorded in a step, for assertions on what the app answered. */
  answer(step: string, method: string, ...args: unknown[]): unknown {
    const s = this.rec.steps[this.index(step)];
    const c = [s.action, ...s.reads].find((x) => x && same(x, method, args));
    if (!c) throw new Error(`no ${method} in step ${step}`);
    if (c.error) throw new Error(c.error);
    return structuredClone(c.result);
  }

  install(): this {
    const app = new Proxy(
      {},
      {
        get: (_t, method: string) =>
          (...args: unknown[]) => {
            this.calls.push({ method, args });
            return Promise.resolve().then(() => this.respond(method, args));
          },
      },
    );
    const w = window as unknown as Record<string, unknown>;
    w.go = { app: { App: app } };
    w.runtime = {
      EventsOnMultiple: (name: string, cb: (...data: unknown[]) => void, max: number) => {
        const l: Listener = { cb, left: max };
        this.listeners.set(name, [...(this.listeners.get(name) ?? []), l]);
        return () => this.listeners.set(name, (this.listeners.get(name) ?? []).filter((x) => x !== l));
      },
      EventsOff: (name: string, ...more: string[]) => {
        for (const n of [name, ...more]) this.listeners.delete(n);
      },
      EventsEmit: (name: string, ...data: unknown[]) => this.emit(name, ...data),
    };
    return this;
  }

  uninstall(): void {
    const w = window as unknown as Record<string, unknown>;
    delete w.go;
    delete w.runtime;
  }

  count(method: string): number {
    return this.calls.filter((c) => c.method === method).length;
  }

  /** Emits an event to the UI, as the Go side does. */
  emit(name: string, ...data: unknown[]): void {
    for (const l of [...(this.listeners.get(name) ?? [])]) {
      l.cb(...data);
      if (l.left > 0 && --l.left === 0) this.listeners.set(name, (this.listeners.get(name) ?? []).filter((x) => x !== l));
    }
  }

  /** Moves to a later step that happened without this user's action (a customer wrote, another
   * agent answered an offer) and emits the events of every step on the way. */
  advance(name: string): void {
    const to = this.index(name);
    if (to <= this.pos) throw new Error(`step ${name} is not ahead of ${this.step}`);
    const from = this.pos;
    this.pos = to;
    for (let i = from + 1; i <= to; i++) this.emitStep(i);
  }

  private emitStep(i: number): void {
    for (const e of this.rec.steps[i].events) this.emit(e.name, structuredClone(e.data));
  }

  private respond(method: string, args: unknown[]): unknown {
    for (let i = this.pos + 1; i < this.rec.steps.length; i++) {
      const a = this.rec.steps[i].action;
      if (a && same(a, method, args)) {
        const from = this.pos;
        this.pos = i;
        setTimeout(() => {
          for (let j = from + 1; j <= i; j++) this.emitStep(j);
        }, 0);
        return this.deliver(a);
      }
    }
    for (let i = this.pos; i >= 0; i--) {
      const s = this.rec.steps[i];
      const found = [...s.reads].reverse().find((c) => same(c, method, args)) ?? (s.action && STATE_READS.has(method) && same(s.action, method, args) ? s.action : undefined);
      if (found) return this.deliver(found);
    }
    const miss = `no recorded answer for ${method}(${canonical(args).slice(1, -1)}) at step "${this.step}" of ${this.rec.scenario}.${this.rec.app}`;
    this.misses.push(miss);
    throw new Error(miss);
  }

  private deliver(c: RecordedCall): unknown {
    if (c.error) throw c.error; // Wails rejects with the Go error's text
    return c.result === undefined ? undefined : structuredClone(c.result);
  }
}
