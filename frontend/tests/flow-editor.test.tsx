// The admins' flow editor over the recorded answers of the real app against a real santrald
// (tests/recorded/flow-editor.admin.json). Issue 10, line 4: an outline of steps edited in
// place; the server's validation (unreachable steps, dead ends, a choice over a channel's limit,
// unknown variables) shown on the step it is about, before publishing and when publishing is
// refused; the try-it simulator run by the server's engine; import and export as JSON; TR/EN.

import { afterEach, describe, expect, it } from 'vitest';
import { setLanguage } from '../src/i18n';
import { change, click, mount, testIds, typeInto, type Mounted } from './helpers';

let m: Mounted | null = null;
afterEach(() => {
  m?.unmount();
  m = null;
  setLanguage('tr');
});

async function editor(): Promise<Mounted> {
  m = await mount('flow-editor.admin', 'signed-in');
  await click(m.get('settings-button'));
  await click(m.get('settings-flows'));
  expect(m.replay.step).toBe('list');
  const { flow } = m.replay.ids;
  expect(m.get(`flow-status-${flow}`).textContent).toBe('Taslak');
  await click(m.get(`flow-edit-${flow}`));
  expect(m.replay.step).toBe('open');
  return m;
}

/** The admin fixes the draft's three mistakes in the outline (the recording's "fixed" step,
 * which holds the server's answers about the fixed flow). */
async function fix(m: Mounted) {
  await typeInto(m.get('step-0-choice-2-title'), 'Temsilciye bağlan');
  await typeInto(m.get('step-2-text'), 'Teşekkürler, {{siparis_no}} numaralı siparişiniz için sizi bir temsilciye aktarıyorum.');
  await click(m.get('step-4-remove'));
  await m.advance('fixed');
}

describe('the flow editor', () => {
  it('shows the flow as an outline of steps, each with its type, id and links', async () => {
    const m = await editor();
    expect(testIds(m.get('flow-outline'), 'flow-step-').filter((x) => /^flow-step-\d+$/.test(x))).toEqual(['flow-step-0', 'flow-step-1', 'flow-step-2', 'flow-step-3', 'flow-step-4']);
    expect(m.get('flow-step-0').dataset.type).toBe('ask');
    expect(m.get('flow-step-0').textContent).toContain('Seçenekli soru');
    expect(m.get('flow-step-0').textContent).toContain('→ order, queue');
    expect(m.get('flow-step-1').dataset.type).toBe('collect');
    expect((m.get('step-1-validate') as HTMLSelectElement).value).toBe('pattern');
    expect((m.get('step-1-pattern') as HTMLInputElement).value).toBe('[0-9]{6}');
    expect(m.get('flow-step-3').textContent).toContain('Kuyruğa devret');
    expect((m.get('flow-channel-whatsapp') as HTMLInputElement).checked).toBe(true);
  });

  it('validates on the server and puts each problem on its step, in Turkish and English', async () => {
    const m = await editor();
    await click(m.get('flow-validate'));
    expect(m.replay.misses).toEqual([]);
    expect(m.get('flow-problem-count').textContent).toBe('4 sorun');
    expect(m.get('flow-step-problems-0').textContent).toContain('Bir seçeneğin metni bu kanal için çok uzun.');
    expect(m.get('flow-step-problems-0').textContent).toContain('choices[2].title');
    expect(m.get('flow-step-problems-2').textContent).toContain('hiçbir adımın toplamadığı bir değişken');
    const orphan = m.get('flow-step-problems-4').textContent!;
    expect(orphan).toContain('hiçbir yoldan ulaşılamayan');
    expect(orphan).toContain('devam etmeyen ve bitmeyen');
    expect(m.query('flow-step-problems-1')).toBeNull();
    setLanguage('en');
    await click(m.get('flow-validate'));
    expect(m.get('flow-step-problems-0').textContent).toContain('A choice is too long for this channel.');
  });

  it('publishing saves, is refused with the same problems; fixed, it validates clean and publishes', async () => {
    const m = await editor();
    const { flow } = m.replay.ids;
    await click(m.get('flow-publish'));
    expect(m.replay.step).toBe('publish-refused');
    expect(m.get('flow-problem-count').textContent).toBe('4 sorun');
    expect(m.get('flow-step-problems-4')).toBeTruthy();
    await fix(m);
    expect(m.query('flow-problem-count')).toBeNull(); // the answer was about the old definition
    await click(m.get('flow-validate'));
    expect(m.get('flow-valid').textContent).toBe('Sunucu sorun bulmadı: akış yayımlanabilir.');
    await click(m.get('flow-publish'));
    expect(m.replay.step).toBe('publish');
    expect(m.get('toast').textContent).toContain('Akış yayımlandı (sürüm 3).');
    await click(m.get('flow-back'));
    expect(m.get(`flow-status-${flow}`).textContent).toBe('Yayında: sürüm 3');
    expect(m.replay.misses).toEqual([]);
  });

  it('the try-it simulator runs the edited flow on the server, as WhatsApp shows it', async () => {
    const m = await editor();
    await fix(m);
    await change(m.get('sim-channel'), 'whatsapp');
    await click(m.get('sim-start'));
    expect(m.get('sim-log').textContent).toContain('Merhaba Deneme, size nasıl yardımcı olabiliriz?');
    expect(m.get('sim-choice-menu:temsilci').textContent).toBe('Temsilciye bağlan');
    await click(m.get('sim-choice-menu:siparis'));
    expect(m.get('sim-log').textContent).toContain('Sipariş numaranızı yazar mısınız?');
    await typeInto(m.get('sim-answer'), '12');
    await click(m.get('sim-send'));
    expect(m.get('sim-log').textContent).toContain('Sipariş numarası 6 haneli olmalı.');
    await typeInto(m.get('sim-answer'), '100482');
    await click(m.get('sim-send'));
    expect(m.get('sim-log').textContent).toContain('Akış konuşmayı kuyruğa devretti.');
    expect(m.get('sim-attr-siparis_no').textContent).toBe('100482');
    expect(m.get('sim-trace').textContent).toContain('order:ok → thanks → queue');
    expect(m.query('sim-answer')).toBeNull(); // the flow has exited
    expect(m.replay.misses).toEqual([]);
  });

  it('exports the flow as JSON and imports the file back as a new draft; a foreign file is refused', async () => {
    const m = await editor();
    await click(m.get('flow-publish'));
    await fix(m);
    await click(m.get('flow-publish'));
    await click(m.get('flow-back'));
    await click(m.get(`flow-export-${m.replay.ids.flow}`));
    expect(m.replay.step).toBe('export');
    const text = (m.get('flow-export-text') as HTMLTextAreaElement).value;
    expect(JSON.parse(text).format).toBe('santral.flow/1');
    await click(m.get('flow-import'));
    await typeInto(m.get('flow-import-text'), text);
    await click(m.get('flow-import-confirm'));
    expect(m.replay.step).toBe('import');
    expect(m.get('flow-editor')).toBeTruthy(); // the imported draft opens
    expect((m.get('flow-name') as HTMLInputElement).value).toBe('Karşılama menüsü');
    expect(m.get('flow-status').textContent).toBe('Taslak');
    expect(m.get('flow-step-0').dataset.stepId).toBe('menu');
    await click(m.get('flow-back'));
    expect(m.get(`flow-status-${m.replay.ids.imported}`).textContent).toBe('Taslak');
    await click(m.get('flow-import'));
    await typeInto(m.get('flow-import-text'), '{"definition":{"start":"","steps":[]},"format":"other/1","name":"x"}');
    await click(m.get('flow-import-confirm'));
    expect(m.replay.step).toBe('import-refused');
    expect(m.get('flow-import-error').textContent).toContain('format');
    expect(m.replay.misses).toEqual([]);
  });
});
