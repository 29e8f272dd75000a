import { it } from 'vitest';
import { Session } from '../../main/service/session.ts';
it('demo debug', async () => {
  const s = new Session({ shell: 'browser' });
  console.log('opening');
  const st = await s.openDemo();
  console.log('opened', st.files.length);
  await s.analyze((p) => console.log(p.phase, p.fraction));
  console.log('analysed');
  await s.dispose();
}, 20000);
