import { afterEach, describe, expect, it } from 'vitest';
import { AppError, bridge, onEvent, toAppError } from '../src/bridge';
import { Replay } from './replay';

let replay: Replay | null = null;
afterEach(() => {
  replay?.uninstall();
  replay = null;
});

describe('bridge errors', () => {
  it('parses the JSON refusal the Go side rejects with', () => {
    const e = toAppError('{"code":"agent_on_break","message":"Zeynep is on break","field":"to_agent_id"}');
    expect(e).toBeInstanceOf(AppError);
    expect(e).toMatchObject({ code: 'agent_on_break', message: 'Zeynep is on break', field: 'to_agent_id' });
  });

  it('accepts the server body shape and plain text', () => {
    expect(toAppError('{"error":{"code":"not_holder","message":"no"}}').code).toBe('not_holder');
    expect(toAppError('dial tcp: connection refused')).toMatchObject({ code: '', message: 'dial tcp: connection refused' });
    expect(toAppError('{not json')).toMatchObject({ code: '', message: '{not json' });
    expect(toAppError(new TypeError('boom'))).toMatchObject({ code: '', message: 'boom' });
  });

  it('rejects binding calls with the app\'s AppError', async () => {
    replay = new Replay('agent-day.ayse', 'take-up').install();
    await expect(bridge.pull()).rejects.toMatchObject({ code: 'queue_empty' });
  });
});

describe('bridge calls', () => {
  it('calls window.go.app.App with the arguments in order, and lists come back as arrays', async () => {
    replay = new Replay('agent-day.ayse', 'end').install();
    const page = await bridge.history({ view: 'ended', text: '', customer: '', channel_id: 0, agent_id: 0, end_reason_id: 0, from: '', to: '', cursor: '' });
    expect(Array.isArray(page.conversations)).toBe(true);
    const inbox = await bridge.inbox();
    expect([inbox.mine, inbox.queue, inbox.offers, inbox.agents, inbox.end_reasons, inbox.quick_messages].every(Array.isArray)).toBe(true);
    const view = await bridge.openConversation(replay.ids.elif);
    expect([view.messages, view.timeline, view.earlier, view.outbox].every(Array.isArray)).toBe(true);
    expect(replay.calls.map((c) => c.method)).toEqual(['History', 'Inbox', 'OpenConversation']);
  });

  it('listens to Go events through the runtime and stops listening', () => {
    replay = new Replay('agent-day.ayse').install();
    const got: unknown[] = [];
    const off = onEvent('conversation', (p) => got.push(p));
    replay.emit('conversation', { id: 4 });
    off();
    replay.emit('conversation', { id: 5 });
    expect(got).toEqual([{ id: 4 }]);
  });

  it('listens to nothing outside the Wails window', () => {
    expect(() => onEvent('inbox', () => {})()).not.toThrow();
  });

  it('a call the recording has no answer for is refused, never made up', async () => {
    replay = new Replay('agent-day.ayse', 'signed-out').install();
    await expect(bridge.cancelTransfer(99)).rejects.toBeInstanceOf(AppError);
    expect(replay.misses[0]).toContain('no recorded answer for CancelTransfer(99)');
  });
});
