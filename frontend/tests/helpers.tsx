// Rendering the real UI over recorded answers of the real app Go side (tests/replay.ts), and
// driving it like a user would.

import { render } from 'preact';
import { act } from 'preact/test-utils';
import { App } from '../src/App';
import { Controller } from '../src/controller';
import { setLanguage } from '../src/i18n';
import { Replay } from './replay';

/** Lets promises, microtasks and a few timers run. */
export async function settle(rounds = 6): Promise<void> {
  for (let i = 0; i < rounds; i++) {
    await act(async () => {
      await new Promise((r) => setTimeout(r, 0));
    });
  }
}

export interface Mounted {
  replay: Replay;
  ctl: Controller;
  root: HTMLElement;
  get: (testId: string) => HTMLElement;
  query: (testId: string) => HTMLElement | null;
  /** Moves the recording to a step that happened without this user (and emits its events). */
  advance: (step: string) => Promise<void>;
  unmount: () => void;
}

/** Mounts the app over a recording (`agent-day.ayse`, …), starting after step `at`. */
export async function mount(recording: string, at?: string): Promise<Mounted> {
  setLanguage('tr');
  const replay = new Replay(recording, at).install();
  const ctl = new Controller();
  const root = document.createElement('div');
  document.body.appendChild(root);
  await act(async () => {
    render(<App controller={ctl} />, root);
  });
  await act(async () => {
    await ctl.start();
  });
  await settle();
  const query = (id: string) => root.querySelector<HTMLElement>(`[data-testid="${id}"]`) ?? document.querySelector<HTMLElement>(`[data-testid="${id}"]`);
  const get = (id: string) => {
    const el = query(id);
    if (!el) throw new Error(`no element with data-testid="${id}"`);
    return el;
  };
  return {
    replay,
    ctl,
    root,
    get,
    query,
    advance: async (step: string) => {
      await act(async () => replay.advance(step));
      await settle();
    },
    unmount: () => {
      ctl.stop();
      render(null, root);
      root.remove();
      replay.uninstall();
    },
  };
}

export async function click(el: Element): Promise<void> {
  await act(async () => {
    (el as HTMLElement).click();
  });
  await settle();
}

/** Types into an input or textarea: sets the value and caret, fires input. */
export async function typeInto(el: Element, text: string): Promise<void> {
  const input = el as HTMLInputElement | HTMLTextAreaElement;
  await act(async () => {
    input.focus();
    input.value = text;
    input.setSelectionRange?.(text.length, text.length);
    input.dispatchEvent(new Event('input', { bubbles: true }));
  });
  await settle();
}

export async function press(el: Element | Window, key: string, init: KeyboardEventInit = {}): Promise<void> {
  await act(async () => {
    el.dispatchEvent(new KeyboardEvent('keydown', { key, bubbles: true, cancelable: true, ...init }));
  });
  await settle();
}

export async function change(el: Element, value: string): Promise<void> {
  const input = el as HTMLSelectElement | HTMLInputElement;
  await act(async () => {
    input.value = value;
    input.dispatchEvent(new Event('change', { bubbles: true }));
    input.dispatchEvent(new Event('input', { bubbles: true }));
  });
  await settle();
}

/** The data-testid's of elements whose test id starts with prefix, in document order. */
export function testIds(root: ParentNode, prefix: string): string[] {
  return [...root.querySelectorAll<HTMLElement>(`[data-testid^="${prefix}"]`)].map((e) => e.dataset.testid!);
}
