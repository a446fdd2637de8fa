// A modal dialog: a titled card over a dimmed backdrop. Esc and the backdrop close it.

import type { ComponentChildren } from 'preact';
import { useEffect, useRef } from 'preact/hooks';
import { t } from '../i18n';
import { IconClose } from './icons';

interface Props {
  title: string;
  testId: string;
  onClose: () => void;
  children: ComponentChildren;
  footer?: ComponentChildren;
  width?: number;
}

export function Dialog({ title, testId, onClose, children, footer, width = 440 }: Props) {
  const card = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const prev = document.activeElement as HTMLElement | null;
    const first = card.current?.querySelector<HTMLElement>('[data-autofocus], input, textarea, select, button:not(.dialog-x)');
    first?.focus();
    return () => prev?.focus?.();
  }, []);
  return (
    <div
      class="backdrop"
      onMouseDown={(e) => {
        if (e.target === e.currentTarget) onClose();
      }}
    >
      <div
        ref={card}
        class="dialog"
        role="dialog"
        aria-modal="true"
        aria-label={title}
        data-testid={testId}
        style={{ width: `${width}px` }}
        onKeyDown={(e) => {
          if (e.key === 'Escape') {
            e.stopPropagation();
            onClose();
          }
        }}
      >
        <header class="dialog-head">
          <h2>{title}</h2>
          <button type="button" class="icon-btn dialog-x" onClick={onClose} aria-label={t('common.close')} title={t('common.close')}>
            <IconClose />
          </button>
        </header>
        <div class="dialog-body">{children}</div>
        {footer ? <footer class="dialog-foot">{footer}</footer> : null}
      </div>
    </div>
  );
}
