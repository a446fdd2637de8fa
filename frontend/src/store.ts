// The UI's state in one place: the session, the Inbox as last read from the Go side, the open
// conversation, the history lists, dialogs and notices. Changes go through set(); components
// subscribe with useAppState().

import { useEffect, useRef, useState } from 'preact/hooks';
import type { PendingAttachment } from './logic/attachments';
import type { Conversation, ConversationView, HistoryQuery, HistoryView, Inbox, Language, LeftEvent, Session } from './types';

export type Tab = 'mine' | 'queue' | 'transfers' | 'history' | 'ended';
export const TABS: Tab[] = ['mine', 'queue', 'transfers', 'history', 'ended'];

export interface HistoryState {
  query: HistoryQuery;
  items: Conversation[];
  next: string; // cursor of the next page; '' on the last page
  loading: boolean;
  loaded: boolean;
  error: string;
}

export interface Toast {
  id: number;
  kind: 'info' | 'success' | 'error';
  text: string;
  /** The problem it is about ('connection', 'outbox:<key>', …): it goes when that is solved. */
  key?: string;
  /** How many times it was raised while on screen (shown once, with the count). */
  count?: number;
}

export type Dialog =
  | null
  | { kind: 'transfer'; conversationId: number }
  | { kind: 'end'; conversationId: number }
  | { kind: 'settings' }
  | { kind: 'channels' }
  | { kind: 'flows' }
  | { kind: 'admin'; tab?: string }
  | { kind: 'shops' };

export interface State {
  booted: boolean; // the first Session() answered
  bootError: string;
  language: Language; // the UI language; every screen re-renders when it changes
  session: Session | null;
  inbox: Inbox;
  inboxLoaded: boolean;
  offset: number; // server clock − local clock, ms
  tab: Tab;
  selectedId: number | null;
  view: ConversationView | null;
  viewLoading: boolean;
  viewError: string;
  drafts: Record<number, string>;
  /** Files picked for each conversation's composer, until sent or removed. */
  attachments: Record<number, PendingAttachment[]>;
  /** Conversations that left me (transferred, requeued, …) by id: their composer is locked. */
  lost: Record<number, LeftEvent>;
  history: Record<HistoryView, HistoryState>;
  dialog: Dialog;
  toasts: Toast[];
  busy: Record<string, boolean>; // actions in flight: 'pull', 'presence', 'offer:12', …
  /** The composer has the focus: while it also holds text, my list keeps its order. */
  composing: boolean;
}

export function emptyInbox(): Inbox {
  return {
    mine: [],
    queue: [],
    offers: [],
    agents: [],
    end_reasons: [],
    quick_messages: [],
    workspace: {
      auto_assign: true,
      default_limit: 0,
      hard_cap: 0,
      offer_timeout_seconds: 120,
      offline_grace_seconds: 60,
      requeue_on_offline: true,
    },
    unread_total: 0,
    server_time: 0,
  };
}

export function emptyQuery(view: HistoryView): HistoryQuery {
  return { view, text: '', customer: '', channel_id: 0, agent_id: 0, end_reason_id: 0, from: '', to: '', cursor: '' };
}

function emptyHistory(view: HistoryView): HistoryState {
  return { query: emptyQuery(view), items: [], next: '', loading: false, loaded: false, error: '' };
}

export function initialState(): State {
  return {
    booted: false,
    bootError: '',
    language: 'tr',
    session: null,
    inbox: emptyInbox(),
    inboxLoaded: false,
    composing: false,
    offset: 0,
    tab: 'mine',
    selectedId: null,
    view: null,
    viewLoading: false,
    viewError: '',
    drafts: {},
    attachments: {},
    lost: {},
    history: { history: emptyHistory('history'), ended: emptyHistory('ended') },
    dialog: null,
    toasts: [],
    busy: {},
  };
}

/** The state after signing out: nothing of the last user stays on screen. */
export function signedOutState(prev: State, session: Session | null): State {
  return { ...initialState(), booted: true, session, toasts: prev.toasts, language: prev.language };
}

type Listener = () => void;

export class Store {
  private state: State;
  private listeners = new Set<Listener>();

  constructor(state: State = initialState()) {
    this.state = state;
  }

  get(): State {
    return this.state;
  }

  set(patch: Partial<State> | ((s: State) => Partial<State>)): void {
    const p = typeof patch === 'function' ? patch(this.state) : patch;
    this.state = { ...this.state, ...p };
    for (const l of [...this.listeners]) l();
  }

  subscribe(l: Listener): () => void {
    this.listeners.add(l);
    return () => this.listeners.delete(l);
  }
}

/** Re-renders the component when the selected part of the state changes (by identity). */
export function useSelector<T>(store: Store, select: (s: State) => T): T {
  const [, force] = useState(0);
  const selectRef = useRef(select);
  selectRef.current = select;
  const value = select(store.get());
  const last = useRef(value);
  last.current = value;
  useEffect(() => {
    const check = () => {
      const next = selectRef.current(store.get());
      if (!Object.is(next, last.current)) {
        last.current = next;
        force((n) => n + 1);
      }
    };
    const off = store.subscribe(check);
    check(); // the state may have moved between render and subscription
    return off;
  }, [store]);
  return value;
}
