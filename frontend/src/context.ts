// The controller reaches components through context, so tests can render a screen with their
// own controller (over a fake Wails bridge).

import { createContext } from 'preact';
import { useContext, useEffect, useState } from 'preact/hooks';
import type { Controller } from './controller';
import { useSelector, type State } from './store';

export const ControllerContext = createContext<Controller | null>(null);

export function useController(): Controller {
  const c = useContext(ControllerContext);
  if (!c) throw new Error('no Controller in context');
  return c;
}

/** Reads part of the app state and re-renders when it changes. */
export function useApp<T>(select: (s: State) => T): T {
  return useSelector(useController().store, select);
}

/** The local clock, ticking every `intervalMs` while the component is mounted (countdowns,
 * waiting times). */
export function useNow(intervalMs = 1000): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const id = setInterval(() => setNow(Date.now()), intervalMs);
    return () => clearInterval(id);
  }, [intervalMs]);
  return now;
}
