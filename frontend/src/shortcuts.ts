// The agent's keyboard shortcuts (issue 11): Alt+↓/↑ next/previous conversation, Alt+P pull,
// Alt+T transfer, Alt+E end, Alt+O online, Alt+B break. Keys are read by their physical position
// (e.code), so a Turkish keyboard works the same; Alt keeps them out of the composer's way.
// Every one asks the Go side exactly as the matching button does.

import type { Controller } from './controller';
import { sortMine } from './logic/inbox';

/** The held conversation after (step 1) or before (−1) the open one, in the list's order. */
export function neighbour(ctl: Controller, step: 1 | -1): number | null {
  const list = sortMine(ctl.state.inbox.mine);
  if (list.length === 0) return null;
  const at = list.findIndex((c) => c.id === ctl.state.selectedId);
  if (at < 0) return list[step === 1 ? 0 : list.length - 1].id;
  const next = list[at + step];
  return next ? next.id : null;
}

/** Handles an agent shortcut; reports whether the key was one. */
export function agentShortcut(ctl: Controller, e: KeyboardEvent): boolean {
  if (!e.altKey || e.ctrlKey || e.metaKey || ctl.state.session?.dashboard) return false;
  const s = ctl.state;
  const held = s.view && s.view.conversation.id === s.selectedId && s.view.conversation.state === 'assigned' && s.view.conversation.agent_id === s.session?.user?.id ? s.view.conversation.id : null;
  switch (e.code) {
    case 'ArrowDown':
    case 'ArrowUp': {
      const id = neighbour(ctl, e.code === 'ArrowDown' ? 1 : -1);
      if (id != null) {
        ctl.setTab('mine');
        void ctl.select(id);
      }
      return true;
    }
    case 'KeyP':
      void ctl.pull();
      return true;
    case 'KeyT':
      if (held != null) ctl.openDialog({ kind: 'transfer', conversationId: held });
      return true;
    case 'KeyE':
      if (held != null) ctl.openDialog({ kind: 'end', conversationId: held });
      return true;
    case 'KeyO':
      void ctl.setPresence('online', '');
      return true;
    case 'KeyB':
      void ctl.setPresence('break', '');
      return true;
  }
  return false;
}
