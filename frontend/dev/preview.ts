// `npm run dev`, then open /dev/preview.html: the real UI over the fake Wails bridge of the
// tests (sign in as ayse / demo1234). Not part of the production build.

import { FakeWails } from '../tests/fake-wails';

const params = new URLSearchParams(location.search);
const fake = new FakeWails().install();
if (params.has('signed-in')) {
  fake.world.signedIn = true;
  fake.world.connection = { state: 'connected', since: Date.now(), attempt: 0 };
}
if (params.get('theme')) fake.world.preferences.theme = params.get('theme') as 'light' | 'dark' | 'system';
if (params.get('lang')) fake.world.preferences.language = params.get('lang') === 'en' ? 'en' : 'tr';
if (params.has('many')) {
  // 1,000 held conversations and 5,000 messages in the first one: the lists must stay smooth.
  for (let i = 0; i < 1000; i++) {
    const id = fake.simulateInbound(null, `Müşteri mesajı ${i}`);
    const c = fake.conversation(id);
    c.state = 'assigned';
    c.agent_id = fake.world.meId;
  }
  for (let i = 0; i < 5000; i++) fake.simulateInbound(11, `Uzun konuşmanın ${i}. mesajı`);
}
(window as unknown as { fake: FakeWails }).fake = fake;

// A customer writes now and then, as in the server's demo mode.
setInterval(() => {
  const mine = fake.world.conversations.filter((c) => c.state === 'assigned' && c.agent_id === fake.world.meId);
  const pick = Math.random() < 0.5 && mine.length ? mine[Math.floor(Math.random() * mine.length)].id : null;
  fake.simulateInbound(pick, pick ? 'Bir sorum daha var 🙂' : 'Merhaba, yardımcı olur musunuz?');
}, 20000);

await import('../src/main');

const open = Number(params.get('open'));
if (open) setTimeout(() => fake.emit('open-conversation', { id: open }), 300);
