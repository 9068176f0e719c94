import type { Express } from 'express';
import supertest from 'supertest';
import { OutboxMessageModel } from '../../models/OutboxMessage.ts';
import { workAfterAnswersDone } from '../../server/http/afterAnswering.ts';
import { csrfFrom } from './app.ts';

/**
 * Asks for a password reset through the form, as she would, and reads the link from the email it sends (once the
 * work done after the answer has run). Returns her browser (agent) and the link's path and secret.
 */
export async function requestResetLink(
  app: Express,
  email: string,
): Promise<{ agent: ReturnType<typeof supertest.agent>; link: string; secret: string }> {
  const agent = supertest.agent(app);
  const csrf = csrfFrom((await agent.get('/password-reset')).text);
  await agent.post('/password-reset').type('form').send({ email, _csrf: csrf }).expect(303);
  await workAfterAnswersDone();
  const sent = await OutboxMessageModel.findOne({ to: email, subject: /Reset your Pathways password/ })
    .sort({ _id: -1 })
    .lean();
  if (!sent) throw new Error(`no reset email was sent to ${email}`);
  const link = /http:\/\/pathways\.test(\/password-reset\/([A-Za-z0-9_-]+))/.exec(sent.text)!;
  return { agent, link: link[1]!, secret: link[2]! };
}
