// The template picker shown when the conversation's window is closed: the channel's approved
// templates as the server lists them (its category, and whether sending it now is charged —
// the server's answer), the body with its placeholders, an input per parameter labelled by the
// parameter's name (or "Variable n" with the template's example for a positional one), the
// filled body as a preview, send.

import { useEffect, useState } from 'preact/hooks';
import { toAppError } from '../bridge';
import { useController } from '../context';
import { errorText, t } from '../i18n';
import { previewTemplate, templateFields, templateParts } from '../logic/templates';
import type { Template } from '../types';

export function TemplatePicker({ conversationId }: { conversationId: number }) {
  const ctl = useController();
  const [list, setList] = useState<Template[] | null>(null);
  const [error, setError] = useState('');
  const [chosen, setChosen] = useState<number | null>(null);
  const [params, setParams] = useState<string[]>([]);
  const [sending, setSending] = useState(false);

  useEffect(() => {
    let live = true;
    ctl.templates(conversationId).then(
      (l) => live && setList(l),
      (e) => {
        if (!live) return;
        setList([]);
        setError(errorText(toAppError(e)));
      },
    );
    return () => {
      live = false;
    };
  }, [ctl, conversationId]);

  const tpl = list?.find((x) => x.id === chosen) ?? null;
  const n = tpl ? tpl.params : 0;
  const fields = tpl ? templateFields(tpl) : [];
  const complete = !!tpl && params.length >= n && params.slice(0, n).every((p) => p.trim() !== '');

  const choose = (x: Template) => {
    setChosen(x.id);
    setParams(Array.from({ length: x.params }, () => ''));
  };

  const send = async () => {
    if (!tpl || !complete || sending) return;
    setSending(true);
    const ok = await ctl.sendTemplate(conversationId, tpl.id, params.slice(0, n).map((p) => p.trim()));
    setSending(false);
    if (ok) {
      setChosen(null);
      setParams([]);
    }
  };

  if (list == null) {
    return (
      <div class="tpl-picker muted small" data-testid="template-picker" aria-busy="true">
        {t('template.loading')}
      </div>
    );
  }
  return (
    <div class="tpl-picker" data-testid="template-picker">
      {error ? (
        <div class="form-error" role="alert" data-testid="template-error">
          {error}
        </div>
      ) : list.length === 0 ? (
        <div class="muted small" data-testid="template-empty">
          {t('template.none')}
        </div>
      ) : (
        <ul class="tpl-list" role="listbox" aria-label={t('template.pick')}>
          {list.map((x) => (
            <li key={x.id}>
              <button
                type="button"
                class={'tpl-item' + (x.id === chosen ? ' selected' : '')}
                role="option"
                aria-selected={x.id === chosen}
                data-testid={`template-item-${x.id}`}
                onClick={() => choose(x)}
              >
                <span class="tpl-head">
                  <span class="tpl-name">{x.name}</span>
                  <span class={`tpl-category tpl-cat-${x.category.toLowerCase()}`} data-testid={`template-category-${x.id}`}>
                    {categoryLabel(x.category)}
                  </span>
                  {x.language ? <span class="tpl-lang muted">{x.language}</span> : null}
                  {x.paid ? (
                    <span class="tpl-paid" data-testid={`template-paid-${x.id}`} title={t('template.paidTitle')}>
                      {t('template.paid')}
                    </span>
                  ) : null}
                </span>
                <span class="tpl-body">
                  {templateParts(x.body).map((p, i) =>
                    p.param ? (
                      <mark key={i} class="tpl-ph">
                        {p.text}
                      </mark>
                    ) : (
                      <span key={i}>{p.text}</span>
                    ),
                  )}
                </span>
              </button>
            </li>
          ))}
        </ul>
      )}
      {tpl ? (
        <div class="tpl-form" data-testid="template-form">
          {params.map((v, i) => (
            <label key={i} class="field-sm tpl-param">
              <span class="tpl-param-label" data-testid={`template-param-label-${i + 1}`}>
                {fields[i]?.label ?? t('template.param', { n: i + 1 })}
                {fields[i]?.example ? <span class="muted small"> · {t('template.paramExample', { example: fields[i].example })}</span> : null}
              </span>
              <input
                class="input"
                data-testid={`template-param-${i + 1}`}
                value={v}
                placeholder={fields[i]?.example || fields[i]?.label || t('template.param', { n: i + 1 })}
                onInput={(e) => {
                  const val = e.currentTarget.value;
                  setParams((ps) => ps.map((p, j) => (j === i ? val : p)));
                }}
              />
            </label>
          ))}
          <div class="tpl-preview" data-testid="template-preview">
            {previewTemplate(tpl, params)}
          </div>
          <button type="button" class="btn btn-primary" data-testid="send-template" disabled={!complete || sending} onClick={() => void send()}>
            {tpl.paid ? t('template.sendPaid') : t('template.send')}
          </button>
        </div>
      ) : null}
    </div>
  );
}

function categoryLabel(category: string): string {
  switch (category.toUpperCase()) {
    case 'MARKETING':
      return t('template.category.marketing');
    case 'UTILITY':
      return t('template.category.utility');
    case 'AUTHENTICATION':
      return t('template.category.authentication');
    default:
      return category;
  }
}
