// Template messages (the one kind of message a closed window allows): what one will read like
// once filled, and what each of its inputs is called. Which templates exist, their parameters
// (names, examples, Meta's parameter_format) and whether one is paid right now are the server's
// answers (Templates); the fill below is the same as the server's (backend/wire/templates.go),
// for the preview only — the server fills the message it sends.

import { t } from '../i18n';
import type { Template } from '../types';

const PLACEHOLDER = /\{\{\s*([A-Za-z0-9_]+)\s*\}\}/g;

/** The body's distinct placeholders in the order the parameters fill them: by number for
 * positional ones ({{1}}, {{2}}), by first appearance for named ones ({{customer_name}}). */
export function placeholderNames(body: string): string[] {
  const names: string[] = [];
  for (const m of body.matchAll(PLACEHOLDER)) if (!names.includes(m[1])) names.push(m[1]);
  if (names.length > 0 && names.every((n) => /^\d+$/.test(n))) names.sort((a, b) => Number(a) - Number(b));
  return names;
}

/** The body with its placeholders filled; an empty parameter keeps its placeholder. */
export function fillTemplate(body: string, params: string[]): string {
  const names = placeholderNames(body);
  return body.replace(PLACEHOLDER, (whole, name: string) => {
    const v = params[names.indexOf(name)];
    return v && v.trim() ? v : whole;
  });
}

/** Splits a body into text and placeholder parts, for highlighting the placeholders. */
export function templateParts(body: string): Array<{ text: string; param?: string }> {
  const out: Array<{ text: string; param?: string }> = [];
  let last = 0;
  for (const m of body.matchAll(PLACEHOLDER)) {
    if (m.index! > last) out.push({ text: body.slice(last, m.index) });
    out.push({ text: m[0], param: m[1] });
    last = m.index! + m[0].length;
  }
  if (last < body.length) out.push({ text: body.slice(last) });
  return out;
}

export interface TemplateField {
  /** the placeholder's name between the braces: "1" or "customer_name" */
  name: string;
  /** what the input is labelled: a named parameter's name in words, else "Variable 1" */
  label: string;
  /** the template's example value, shown as the input's placeholder and hint */
  example: string;
}

/** One input per parameter, in the order SendTemplate takes them. The server lists the
 * parameters; a template from an older server without them reads its names from the body. */
export function templateFields(tpl: Template): TemplateField[] {
  const params = tpl.parameters?.length ? tpl.parameters : placeholderNames(tpl.body).map((name) => ({ name, example: '' }));
  return params.map((p, i) => ({
    name: p.name,
    label: /^\d+$/.test(p.name) ? t('template.param', { n: i + 1 }) : words(p.name),
    example: p.example ?? '',
  }));
}

/** The preview under the form: the body filled with what was typed, an empty parameter shown by
 * its label in brackets rather than as {{1}}. */
export function previewTemplate(tpl: Template, params: string[]): string {
  const fields = templateFields(tpl);
  return fillTemplate(tpl.body, fields.map((f, i) => (params[i]?.trim() ? params[i] : `[${f.label}]`)));
}

/** customer_name → "customer name" (Meta allows lowercase letters, digits and underscores). */
function words(name: string): string {
  const s = name.replace(/_+/g, ' ').trim();
  return s.charAt(0).toLocaleUpperCase('tr-TR') + s.slice(1);
}
