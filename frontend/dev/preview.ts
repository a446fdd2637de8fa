// `npm run dev`, then open /dev/preview.html: a PREVIEW of the real UI over recorded answers of
// the real app against a real santrald (tests/recorded, `make record`) — no server, nothing
// decided here. ?scenario=windows.ayse (default agent-day.ayse), ?at=<step> to start after a
// step, ?theme=dark. The window's `replay.advance('<step>')` plays what others did
// next. Not part of the production build.

import { Replay } from '../tests/replay';

const params = new URLSearchParams(location.search);
const scenario = params.get('scenario') ?? 'agent-day.ayse';
const at = params.get('at') ?? (scenario === 'agent-day.ayse' ? 'customers-write' : undefined);
const replay = new Replay(scenario, at).install();
(window as unknown as { replay: Replay }).replay = replay;
if (params.get('theme')) document.documentElement.dataset.theme = params.get('theme')!;

await import('../src/main');
