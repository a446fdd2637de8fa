// Template messages (the one kind of message a closed window allows): what one will read like
// once filled. Which templates exist, how many parameters each takes and whether it is paid
// right now are the server's answers (Templates).

const PLACEHOLDER = /\{\{\s*(\d+)\s*\}\}/g;

/** The body with its {{n}} placeholders filled; an empty parameter keeps its placeholder. */
export function fillTemplate(body: string, params: string[]): string {
  return body.replace(PLACEHOLDER, (whole, n: string) => {
    const v = params[Number(n) - 1];
    return v && v.trim() ? v : whole;
  });
}

/** Splits a body into text and placeholder parts, for highlighting the placeholders. */
export function templateParts(body: string): Array<{ text: string; param?: number }> {
  const out: Array<{ text: string; param?: number }> = [];
  let last = 0;
  for (const m of body.matchAll(PLACEHOLDER)) {
    if (m.index! > last) out.push({ text: body.slice(last, m.index) });
    out.push({ text: m[0], param: Number(m[1]) });
    last = m.index! + m[0].length;
  }
  if (last < body.length) out.push({ text: body.slice(last) });
  return out;
}
