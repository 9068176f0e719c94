import { expect } from 'chai';
import { csrfOf, signIn, testApp } from '../support/app.ts';
import { buildCohort } from '../support/cohortFactories.ts';
import { useTestDatabase } from '../support/db.ts';
import { buildUser, testPassword } from '../support/factories.ts';
import { concrete, routeTable } from '../support/routeTable.ts';

/** Routes that would end this test's own sign-in or account: not swept. */
const endsTheSweep = new Set(['POST /logout', 'POST /account/sessions/end-others', 'POST /account/delete']);

/**
 * A form sent with no body at all (a script posting with only its CSRF header, or a body in a type Pathways does not
 * read, such as text/plain) is a form with no fields: every web form answers it as such (its errors, a refusal),
 * never with a 500 (server/http/bodies.ts).
 */
describe('a web form sent with no body is refused as an empty form, never a 500', () => {
  useTestDatabase();

  it('every web form, as an admin who runs a cohort: no 5xx', async function () {
    this.timeout(120_000);
    const app = testApp();
    const admin = await buildUser({ roles: ['admin', 'facilitator'] });
    const cohort = await buildCohort({ facilitatorIds: [admin.id] });
    const agent = await signIn(app, admin.email, testPassword);
    const csrf = await csrfOf(agent, '/account');
    const forms = routeTable(app).filter(
      (r) => r.method === 'POST' && !r.path.startsWith('/api/') && !endsTheSweep.has(`${r.method} ${r.path}`),
    );
    expect(forms.length).to.be.greaterThan(80);
    const failures: string[] = [];
    for (const route of forms) {
      const url = concrete(route.path, () => String(cohort._id));
      const bare = await agent.post(url).set('X-CSRF-Token', csrf);
      if (bare.status >= 500) failures.push(`${route.path} with no body → ${bare.status}`);
      const plain = await agent.post(url).set('X-CSRF-Token', csrf).type('text/plain').send('title=Spring');
      if (plain.status >= 500) failures.push(`${route.path} as text/plain → ${plain.status}`);
    }
    expect(failures).to.deep.equal([]);
    // The sweep ran signed in to the end.
    await agent.get('/account').expect(200);
  });
});
