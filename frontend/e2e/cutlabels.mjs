// The cut-label check of frontend/e2e/labels.mjs: which labels on the page do not show their
// whole text.

const LABELS = 'button, [role="tab"], [role="menuitem"], [role="option"], label, h1, h2, h3, th, .pill, .badge, .btn, .tab, .rail-label, .panel-title, .row-wait, .muted.small';
// Data, not labels: what customers and agents wrote, shown shortened on purpose.
const DATA = '.row-name, .row-preview, .row-channel, .conv-name, .conv-preview, .conv-last, .msg, .bubble, .timeline, .quick-body, .tpl-body, .customer-name, [data-testid="conversation-customer"], [data-testid="user-name"], input, textarea, select';

/** The labels on screen whose text does not fit, with why. */
export function cutLabels(page) {
  return page.evaluate(
    ({ LABELS, DATA }) => {
      const out = [];
      const visible = (el) => {
        const r = el.getBoundingClientRect();
        if (r.width === 0 || r.height === 0) return false;
        const cs = getComputedStyle(el);
        return cs.visibility !== 'hidden' && cs.display !== 'none' && r.right > 0 && r.bottom > 0 && r.left < innerWidth && r.top < innerHeight;
      };
      const seen = new Set();
      for (const el of document.querySelectorAll(LABELS)) {
        if (seen.has(el) || !visible(el) || el.closest(DATA)) continue;
        seen.add(el);
        const text = (el.innerText || '').trim();
        if (!text) continue; // icon-only: the title and aria-label carry the words
        // The element and the text-holding elements inside it (a button's <span>).
        for (const box of [el, ...el.querySelectorAll('span, strong, small')]) {
          if (box !== el && (!visible(box) || box.closest(DATA))) continue;
          const t = (box.innerText || '').trim();
          if (!t) continue;
          const cs = getComputedStyle(box);
          const clips = cs.overflowX !== 'visible' || cs.textOverflow === 'ellipsis';
          const over = box.scrollWidth - box.clientWidth;
          if (over > 1 && (clips || box.tagName === 'BUTTON')) {
            out.push(`${box.tagName.toLowerCase()}${box.dataset.testid ? `[${box.dataset.testid}]` : ''}${box.className && typeof box.className === 'string' ? '.' + box.className.trim().split(/\s+/).join('.') : ''} "${t.slice(0, 60)}" is ${over}px too wide`);
          }
        }
      }
      // An empty field's placeholder is its label: it must fit the field's text box.
      const ctx = document.createElement('canvas').getContext('2d');
      for (const el of document.querySelectorAll('input[placeholder], textarea[placeholder]')) {
        if (!visible(el) || el.value || !el.placeholder || el.type === 'date') continue;
        const cs = getComputedStyle(el);
        ctx.font = `${cs.fontStyle} ${cs.fontWeight} ${cs.fontSize} ${cs.fontFamily}`;
        const room = el.clientWidth - parseFloat(cs.paddingLeft) - parseFloat(cs.paddingRight);
        const need = ctx.measureText(el.placeholder).width;
        if (el.tagName === 'INPUT' && need > room + 1) {
          out.push(`input${el.dataset.testid ? `[${el.dataset.testid}]` : ''} placeholder "${el.placeholder}" needs ${Math.ceil(need)}px, has ${Math.floor(room)}px`);
        }
      }
      return [...new Set(out)];
    },
    { LABELS, DATA },
  );
}

