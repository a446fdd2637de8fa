// The recordings themselves: made by the real app's bindings (every call is one the generated
// bindings have), each step an action or a state the UI reads, and hand edits declared.

import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { recording, recordingNames } from './replay';

const here = dirname(fileURLToPath(import.meta.url));
const bindings = new Set([...readFileSync(resolve(here, '../wailsjs/go/app/App.d.ts'), 'utf8').matchAll(/export function (\w+)\(/g)].map((m) => m[1]));

describe('recorded answers', () => {
  it('exist for every scenario the UI tests use', () => {
    expect(recordingNames().sort()).toEqual(
      ['agent-day.ayse', 'attachments.ayse', 'channels.admin', 'flow-editor.admin', 'flows.ayse', 'offline.ayse', 'queue.ayse', 'shop.ayse', 'shops.admin', 'transfer.receiver', 'transfer.sender', 'updates.ayse', 'windows.ayse'].sort(),
    );
  });

  for (const name of recordingNames()) {
    it(`${name}: every call is a binding of the app, with unique step names`, () => {
      const r = recording(name);
      const steps = r.steps.map((s) => s.name);
      expect(new Set(steps).size).toBe(steps.length);
      for (const s of r.steps) {
        for (const c of [s.action, ...s.reads]) if (c) expect(bindings.has(c.method), `${s.name}: ${c.method}`).toBe(true);
        expect(s.action || s.reads.length > 0 || s.events.length > 0, s.name).toBeTruthy();
      }
      expect(JSON.stringify(r)).not.toMatch(/127\.0\.0\.1:\d{2,}/); // the server's address is normalised
    });
  }
});
