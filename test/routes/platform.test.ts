import { expect } from 'chai';
import mongoose from 'mongoose';
import supertest from 'supertest';
import { UserModel } from '../../models/User.ts';
import { testApp } from '../support/app.ts';
import { useTestDatabase } from '../support/db.ts';
import { buildUser, tokenFor } from '../support/factories.ts';

describe('health, errors and the OpenAPI document', () => {
  useTestDatabase();
  let app: ReturnType<typeof testApp>;
  before(() => {
    app = testApp();
  });

  it('GET /healthz says the database is ok', async () => {
    const res = await supertest(app).get('/healthz').expect(200);
    expect(res.body).to.deep.equal({ status: 'ok', db: 'ok' });
  });

  it('an unknown API path is a 404 problem document; an unknown page is a 404 page', async () => {
    const api = await supertest(app).get('/api/v1/nothing-here').expect(404);
    expect(api.headers['content-type']).to.match(/application\/problem\+json/);
    expect(api.body).to.include({ status: 404 });
    const page = await supertest(app).get('/nothing-here').expect(404);
    expect(page.text).to.include('<main');
  });

  it('an API body that is not JSON (a media type no parser reads, or a urlencoded form’s) is a 415 problem and changes nothing', async () => {
    const admin = `Bearer ${await tokenFor(await buildUser({ roles: ['admin'] }))}`;
    const her = await buildUser({ roles: ['participant'] });
    for (const [type, body] of [
      ['text/plain', '{"status":"disabled"}'],
      ['application/merge-patch+json', '{"status":"disabled"}'],
      ['application/xml', '{"status":"disabled"}'],
      // A form's encoding, which the web pages read, is not the API's either.
      ['application/x-www-form-urlencoded', 'status=disabled'],
    ]) {
      const res = await supertest(app)
        .patch(`/api/v1/users/${her.id}`)
        .set('Authorization', admin)
        .set('Content-Type', type!)
        .send(body!)
        .expect(415);
      expect(res.headers['content-type'], type).to.match(/^application\/problem\+json/);
      expect(res.body, type).to.include({ status: 415, title: 'Unsupported media type' });
      expect(res.body.detail, type).to.include('application/json');
    }
    // JSON in a character set other than UTF-8, or compressed in a way no parser reads: the same problem, saying so.
    const latin1 = await supertest(app)
      .patch(`/api/v1/users/${her.id}`)
      .set('Authorization', admin)
      .set('Content-Type', 'application/json; charset=latin1')
      .send('{"status":"disabled"}')
      .expect(415);
    expect(latin1.body).to.include({ status: 415, title: 'Unsupported media type' });
    expect(latin1.body.detail).to.include('UTF-8');
    const brotli = await supertest(app)
      .patch(`/api/v1/users/${her.id}`)
      .set('Authorization', admin)
      .set('Content-Type', 'application/json')
      .set('Content-Encoding', 'br-unknown')
      .send('{"status":"disabled"}')
      .expect(415);
    expect(brotli.body).to.include({ status: 415, title: 'Unsupported media type' });
    expect((await UserModel.findById(her.id).lean())!.status).to.equal('active');
    // No body at all is still an empty one (a POST that needs none), and JSON is read as before.
    await supertest(app).patch(`/api/v1/users/${her.id}`).set('Authorization', admin).expect(200);
    await supertest(app)
      .patch(`/api/v1/users/${her.id}`)
      .set('Authorization', admin)
      .send({ status: 'disabled' })
      .expect(200);
    expect((await UserModel.findById(her.id).lean())!.status).to.equal('disabled');
  });

  it('pages carry a strict Content-Security-Policy with no inline script', async () => {
    const res = await supertest(app).get('/login').expect(200);
    expect(res.headers['content-security-policy']).to.include("script-src 'self'");
    expect(res.text).to.not.match(/<script>(?!<\/script>)/);
  });

  it('serves an OpenAPI 3.1 document listing every operation, public ones with security []', async () => {
    const res = await supertest(app).get('/api/v1/openapi.json').expect(200);
    expect(res.body.openapi).to.equal('3.1.0');
    expect(res.body.paths['/auth/tokens'].post.security).to.deep.equal([]);
    // The document is an /api/v1 endpoint too, and needs no authentication.
    expect(res.body.paths['/openapi.json'].get.security).to.deep.equal([]);
    expect(res.body.paths['/users'].post.security).to.deep.include({ bearerAuth: [] });
    expect(res.body.paths['/users'].post.responses).to.have.keys(
      '201',
      '400',
      '401',
      '403',
      '409',
      '413',
      '415',
      '422',
    );
    // Derived from the declaration: a public body-less GET still reads a bearer token (401) and its query string as
    // UTF-8 (400); an id in a body is looked up (404).
    expect(res.body.paths['/certificates/verify/{code}'].get.responses).to.have.keys('200', '400', '401', '404');
    expect(res.body.paths['/external-certificates'].post.responses).to.include.keys('404', '413');
    expect(res.body.paths['/auth/tokens'].post.responses).to.include.keys('401', '429');
  });

  it('when the database is unreachable, /healthz answers 503', async () => {
    const db = mongoose.connection.db;
    await mongoose.disconnect();
    try {
      const res = await supertest(app).get('/healthz').expect(503);
      expect(res.body.db).to.not.equal('ok');
    } finally {
      await mongoose.connect(process.env.MONGODB_URI!, { dbName: db!.databaseName });
    }
  });
});
