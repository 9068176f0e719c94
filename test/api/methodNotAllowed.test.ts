import { expect } from 'chai';
import supertest from 'supertest';
import { testApp } from '../support/app.ts';
import { useTestDatabase } from '../support/db.ts';
import { buildUser, tokenFor } from '../support/factories.ts';

describe('api: an address that exists, asked with a method it does not answer', () => {
  useTestDatabase();
  let app: ReturnType<typeof testApp>;
  before(() => {
    app = testApp();
  });

  it('is a 405 problem with the methods it answers in Allow; an address that does not exist stays a 404', async () => {
    const auth = { Authorization: `Bearer ${await tokenFor(await buildUser())}` };
    const api = supertest(app);
    const wrong = await api.patch('/api/v1/networks').set(auth).send({}).expect(405);
    expect(wrong.headers.allow).to.equal('GET, HEAD, POST');
    expect(wrong.headers['content-type']).to.match(/application\/problem\+json/);
    expect(wrong.body).to.include({ status: 405, title: 'Method not allowed' });
    expect(wrong.body.detail).to.equal('This address answers GET, HEAD, POST only.');

    const onAnId = await api.delete('/api/v1/networks/6b1300000000000000000000/posts').set(auth).expect(405);
    expect(onAnId.headers.allow).to.equal('GET, HEAD, POST');
    // A trailing slash is the same address.
    expect((await api.put('/api/v1/networks/').set(auth).send({}).expect(405)).headers.allow).to.equal(
      'GET, HEAD, POST',
    );

    await api.get('/api/v1/no-such-thing').set(auth).expect(404);
    await api.delete('/api/v1/networks/a/b/c/d').set(auth).expect(404);
    // Without a token the same: the address and its methods are public (the OpenAPI document lists them).
    expect((await api.patch('/api/v1/networks').send({}).expect(405)).headers.allow).to.equal('GET, HEAD, POST');
  });
});
