// Rendering the real UI over the fake Wails bridge, and driving it like a user would.

import { render } from 'preact';
import { act } from 'preact/test-utils';
import { App } from '../src/App';
import { Controller } from '../src/controller';
import { setLanguage } from '../src/i18n';
import { FakeWails, demoWorld, type World } from './fake-wails';

/** Lets promises, microtasks and a few timers run. */
export async function settle(rounds = 6): Promise<void> {
  for (let i = 0; i < rounds; i++) {
    await act(async () => {
      await new Promise((r) => setTimeout(r, 0));
    });
  }
}

export interface Mounted {
  fake: FakeWails;
  ctl: Controller;
  root: HTMLElement;
  get: (testId: string) => HTMLElement;
  query: (testId: string) => HTMLElement | null;
  unmount: () => void;
}

export async function mount(opts: { signedIn?: boolean; world?: World; tweak?: (w: World) => void } = {}): Promise<Mounted> {
  setLanguage('tr');
  const world = opts.world ?? demoWorld();
  if (opts.signedIn !== false) {
    world.signedIn = true;
    world.connection = { state: 'connected', since: Date.now(), attempt: 0 };
  }
  opts.tweak?.(world);
  const fake = new FakeWails(world).install();
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
    fake,
    ctl,
    root,
    get,
    query,
    unmount: () => {
      ctl.stop();
      render(null, root);
      root.remove();
      fake.uninstall();
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
