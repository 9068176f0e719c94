import { expect } from 'chai';
import supertest from 'supertest';
import { testApp } from '../support/app.ts';
import { useTestDatabase } from '../support/db.ts';
import { buildUser, tokenFor } from '../support/factories.ts';

describe('api: an operation that takes no body', () => {
  useTestDatabase();

  it('refuses a body with fields (422 naming them, nothing done), as any unknown field is refused; an empty one or none is fine', async () => {
    const app = testApp();
    const auth = { Authorization: `Bearer ${await tokenFor(await buildUser())}` };
    const api = supertest(app);
    const [token] = (await api.get('/api/v1/auth/tokens').set(auth).expect(200)).body.items as { id: string }[];
    const refused = await api
      .delete(`/api/v1/auth/tokens/${token!.id}`)
      .set(auth)
      .send({ reason: 'lost laptop' })
      .expect(422);
    expect(refused.headers['content-type']).to.match(/application\/problem\+json/);
    expect(refused.body.errors).to.deep.equal([{ path: '(body)', message: 'Unknown field(s): reason' }]);
    // Nothing was done: the token still works.
    await api.get('/api/v1/auth/tokens').set(auth).expect(200);
    await api.delete(`/api/v1/auth/tokens/${token!.id}`).set(auth).send({}).expect(204);
    await api.get('/api/v1/auth/tokens').set(auth).expect(401);
  });
});
