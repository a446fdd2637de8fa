// The agent's side of chatbot flows over the recorded answers of the real app against a real
// santrald (tests/recorded/flows.ayse.json). Issue 10, line 3: the composer's flows button lists
// the published flows; picking one hands the conversation to the flow through the server (it
// leaves the agent, the timeline records it); when the flow hands it back, the side panel shows
// the collected attributes and the flow's transcript. Refusals come in Turkish and English.

import { afterEach, describe, expect, it } from 'vitest';
import { setLanguage } from '../src/i18n';
import { buildTimeline } from '../src/logic/timeline';
import { problemField, problemStep, problemsByStep, runTranscript, updateStep, cleanDefinition } from '../src/logic/flows';
import type { ConversationView, FlowDefinition } from '../src/types';
import { click, mount, testIds, type Mounted } from './helpers';

let m: Mounted | null = null;
afterEach(() => {
  m?.unmount();
  m = null;
  setLanguage('tr');
});

async function agent(): Promise<Mounted> {
  m = await mount('flows.ayse', 'customer-writes');
  await click(m.get(`conversation-row-${m.replay.ids.conversation}`));
  expect(m.replay.step).toBe('open');
  return m;
}

describe('the flows button', () => {
  it('lists the published flows; one not meant for the channel is refused by the server, in Turkish', async () => {
    const m = await agent();
    const { flow, flow_whatsapp } = m.replay.ids;
    await click(m.get('flows-button'));
    expect(testIds(m.get('flows-popup'), 'flow-item-')).toEqual([`flow-item-${flow}`, `flow-item-${flow_whatsapp}`]);
    expect(m.get(`flow-item-${flow}`).textContent).toContain('Karşılama menüsü');
    await click(m.get(`flow-item-${flow_whatsapp}`));
    expect(m.replay.step).toBe('not-for-channel');
    expect(m.get('toast').textContent).toContain('Bu akış bu görüşmenin kanalında kullanılamaz.');
    expect(m.query('conversation-row-' + m.replay.ids.conversation)).not.toBeNull(); // still hers
  });

  it('the refusal in English too', async () => {
    const m = await agent();
    setLanguage('en');
    await click(m.get('flows-button'));
    await click(m.get(`flow-item-${m.replay.ids.flow_whatsapp}`));
    expect(m.get('toast').textContent).toContain('This flow cannot be used on the channel of this conversation.');
  });

  it('picking a flow hands the conversation to it: it leaves her list, the timeline and the pane say so', async () => {
    const m = await agent();
    const { flow, conversation } = m.replay.ids;
    await click(m.get('flows-button'));
    await click(m.get(`flow-item-${flow}`));
    expect(m.replay.step).toBe('hand-to-flow');
    expect(m.query(`conversation-row-${conversation}`)).toBeNull();
    expect(m.get('conversation-state').textContent).toBe('Akışta');
    expect(m.get('readonly-note').textContent).toContain('Bir akış müşteriyle konuşuyor');
    expect(m.query('composer')).toBeNull();
    const started = m.root.querySelector('[data-kind="flow_started"]');
    expect(started?.textContent).toContain('konuşmayı “Karşılama menüsü” akışına devretti');
    // The flow's first question is in the timeline, marked as the flow's.
    const view = m.replay.answer('hand-to-flow', 'OpenConversation', conversation) as ConversationView;
    const asked = view.messages.find((x) => x.flow_id)!;
    expect(m.get(`message-flow-${asked.id}`).textContent).toBe('Akış');
    expect(m.get(`flow-run-outcome-${view.flow_runs[0].id}`).textContent).toContain('sürüyor');
    expect(m.replay.misses).toEqual([]);
  });

  it('when the flow hands it back, the side panel shows the collected attributes and the transcript', async () => {
    const m = await agent();
    const { flow, conversation } = m.replay.ids;
    await click(m.get('flows-button'));
    await click(m.get(`flow-item-${flow}`));
    await m.advance('customer-answers');
    await click(m.get(`conversation-row-${conversation}`));
    expect(m.get('conversation-state').textContent).toBe('Açık');
    expect(m.get('flow-attr-siparis_no').textContent).toBe('100482');
    expect(m.get('flow-attr-konu').textContent).toBe('siparis');
    expect(m.get('flow-attr-tag').textContent).toBe('siparis');
    const view = m.replay.answer('customer-answers', 'OpenConversation', conversation) as ConversationView;
    const run = view.flow_runs[0];
    expect(m.get(`flow-run-${run.id}`).textContent).toContain('Karşılama menüsü · sürüm 1');
    expect(m.get(`flow-run-outcome-${run.id}`).textContent).toBe('kuyruğa devretti');
    const transcript = m.get(`flow-transcript-${run.id}`).textContent!;
    expect(transcript).toContain('Sipariş numaranızı yazar mısınız?');
    expect(transcript).toContain('Müşteri: 100482');
    expect(transcript).toContain('Teşekkürler, 100482 numaralı siparişiniz');
    expect(m.root.querySelector('[data-kind="flow_handover"]')?.textContent).toContain('Akış konuşmayı kuyruğa devretti');
    expect(m.root.querySelector('[data-kind="flow_handover"]')?.textContent).toContain('Etiket: siparis');
    expect((m.get('composer-input') as HTMLTextAreaElement).disabled).toBe(false); // hers again
    expect(m.replay.misses).toEqual([]);
  });
});

describe('flow logic', () => {
  it('places the server\'s problems on the steps their field names', () => {
    expect(problemStep({ field: 'definition.steps[2].choices[3].title' })).toBe(2);
    expect(problemField({ field: 'definition.steps[2].choices[3].title' })).toBe('choices[3].title');
    expect(problemStep({ field: 'definition.start' })).toBeNull();
    const g = problemsByStep([
      { code: 'flow_dead_end', message: '', field: 'definition.steps[1]' },
      { code: 'flow_invalid', message: '', field: 'definition.start' },
      { code: 'flow_unknown_step', message: '', field: 'definition.steps[1].next' },
    ]);
    expect(g.get(1)?.map((p) => p.code)).toEqual(['flow_dead_end', 'flow_unknown_step']);
    expect(g.get(-1)?.map((p) => p.code)).toEqual(['flow_invalid']);
  });

  it('renaming a step renames the links to it; clean definitions leave empty fields out', () => {
    const def: FlowDefinition = {
      start: 'a',
      steps: [
        { id: 'a', type: 'ask', text: 'Q', choices: [{ id: 'x', title: 'X', next: 'b' }], on_timeout: 'b' },
        { id: 'b', type: 'handover', tag: '' },
      ],
    };
    const next = updateStep(def, 1, { id: 'queue', type: 'handover' });
    expect(next.steps![0].choices![0].next).toBe('queue');
    expect(next.steps![0].on_timeout).toBe('queue');
    expect(cleanDefinition(def).steps![1]).toEqual({ id: 'b', type: 'handover' });
  });

  it('a flow\'s exit and the assignment after it show after the messages of the same instant', () => {
    const msg = { id: 9, conversation_id: 1, direction: 'in', body: 'TR2026114455', status: 'sent' as const, created_at: 50, sent_at: 50 };
    const e = (id: number, kind: string, at: number) => ({ id, conversation_id: 1, kind, at, actor_id: 0, data: {} });
    const items = buildTimeline([msg], [e(1, 'created', 50), e(2, 'flow_handover', 50), e(3, 'assigned', 50)], []).filter((i) => i.type !== 'day');
    expect(items.map((i) => (i.type === 'event' ? i.entry.kind : i.type))).toEqual(['created', 'message', 'flow_handover', 'assigned']);
  });

  it('a run\'s transcript is the messages of its span', () => {
    const msg = (id: number, at: number) => ({ id, conversation_id: 1, direction: 'in', body: String(id), status: 'sent' as const, created_at: at, sent_at: at });
    const run = { id: 1, flow_id: 1, flow_name: 'f', version: 1, started_at: 10, ended_at: 20 };
    expect(runTranscript(run, [msg(1, 5), msg(3, 15), msg(2, 10), msg(4, 21)]).map((x) => x.id)).toEqual([2, 3]);
    expect(runTranscript({ ...run, ended_at: 0 }, [msg(4, 21)]).map((x) => x.id)).toEqual([4]);
  });
});
