import { afterEach, describe, expect, it } from 'vitest';
import { AppError, bridge, onEvent, toAppError } from '../src/bridge';
import { FakeWails, refusal } from './fake-wails';

let fake: FakeWails | null = null;
afterEach(() => {
  fake?.uninstall();
  fake = null;
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

  it('rejects binding calls with AppError', async () => {
    fake = new FakeWails().install();
    fake.overrides.Pull = async () => {
      throw refusal('queue_empty', 'the queue is empty');
    };
    await expect(bridge.pull()).rejects.toMatchObject({ code: 'queue_empty' });
  });
});

describe('bridge calls', () => {
  it('calls window.go.app.App with the arguments in order', async () => {
    fake = new FakeWails().install();
    fake.world.signedIn = true;
    await bridge.setPresence('break', 'Yemek');
    await bridge.transfer(11, 3, 'not').catch(() => {});
    await bridge.history({ view: 'ended', text: 'kargo', customer: '', channel_id: 0, agent_id: 0, end_reason_id: 0, from: '', to: '', cursor: '' });
    expect(fake.calls.map((c) => [c.method, c.args])).toEqual([
      ['SetPresence', ['break', 'Yemek']],
      ['Transfer', [11, 3, 'not']],
      ['History', [{ view: 'ended', text: 'kargo', customer: '', channel_id: 0, agent_id: 0, end_reason_id: 0, from: '', to: '', cursor: '' }]],
    ]);
  });

  it('turns Go nil slices into empty arrays', async () => {
    fake = new FakeWails().install();
    fake.overrides.Inbox = async () => ({ mine: null, queue: null, offers: null, agents: null, end_reasons: null, quick_messages: null, workspace: {}, unread_total: 0, server_time: 5 });
    fake.overrides.OpenConversation = async () => ({ conversation: { id: 1 }, messages: null, timeline: null, earlier: null, outbox: null, from_cache: true });
    fake.overrides.History = async () => ({ conversations: null });
    const inbox = await bridge.inbox();
    expect([inbox.mine, inbox.queue, inbox.offers, inbox.agents, inbox.end_reasons, inbox.quick_messages]).toEqual([[], [], [], [], [], []]);
    const view = await bridge.openConversation(1);
    expect([view.messages, view.timeline, view.earlier, view.outbox, view.pending_offer, view.from_cache]).toEqual([[], [], [], [], null, true]);
    expect(await bridge.history({ view: 'history', text: '', customer: '', channel_id: 0, agent_id: 0, end_reason_id: 0, from: '', to: '', cursor: '' })).toEqual({ conversations: [], next_cursor: undefined });
  });

  it('listens to Go events through the runtime and stops listening', () => {
    fake = new FakeWails().install();
    const got: unknown[] = [];
    const off = onEvent('conversation', (p) => got.push(p));
    fake.emit('conversation', { id: 4 });
    off();
    fake.emit('conversation', { id: 5 });
    expect(got).toEqual([{ id: 4 }]);
  });

  it('listens to nothing outside the Wails window', () => {
    expect(() => onEvent('inbox', () => {})()).not.toThrow();
  });
});

describe('template and media bindings', () => {
  it('lists templates (null as empty), sends a template and maps media refusals', async () => {
    fake = new FakeWails().install();
    fake.overrides.Templates = async () => null;
    await expect(bridge.templates(11)).resolves.toEqual([]);
    delete fake.overrides.Templates;
    const list = await bridge.templates(11);
    expect(list.map((x) => [x.name, x.category, x.paid])).toEqual([
      ['siparis_durumu', 'UTILITY', true],
      ['kampanya', 'MARKETING', true],
    ]);
    const m = await bridge.sendTemplate(11, 2, []);
    expect(m.template).toMatchObject({ name: 'kampanya', category: 'MARKETING' });
    await expect(bridge.mediaURL('https://evil.example/x', 'image/png')).rejects.toMatchObject({ code: 'invalid_field', field: 'path' });
    await expect(bridge.mediaURL('/api/v1/media/img1', 'image/png')).resolves.toBe('data:image/png;base64,aGVsbG8=');
  });
});
