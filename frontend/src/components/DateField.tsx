// A day typed as the app writes dates (dd.MM.yyyy in Turkish) in every build: the web view's own
// date picker shows its locale's format instead (mm/dd/yyyy in an English Chromium or WebKit).
// The value in and out is YYYY-MM-DD, as the bindings take it.

import { useEffect, useState } from 'preact/hooks';
import { t } from '../i18n';
import { formatDayField, parseDayField } from '../time';

interface Props {
  id?: string;
  value: string;
  onChange: (day: string) => void;
  testId?: string;
}

export function DateField({ id, value, onChange, testId }: Props) {
  const [text, setText] = useState(formatDayField(value));
  useEffect(() => {
    if (parseDayField(text) !== value) setText(formatDayField(value));
  }, [value]);
  const bad = parseDayField(text) === null;
  return (
    <input
      id={id}
      class={'input' + (bad ? ' invalid' : '')}
      type="text"
      inputMode="numeric"
      autocomplete="off"
      placeholder={t('date.placeholder')}
      aria-invalid={bad}
      data-testid={testId}
      value={text}
      onInput={(e) => {
        const v = e.currentTarget.value;
        setText(v);
        const day = parseDayField(v);
        if (day !== null) onChange(day);
      }}
    />
  );
}
