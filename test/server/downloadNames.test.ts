import { expect } from 'chai';
import { downloadDisposition } from '../../server/http/downloads.ts';
import { signIn, testApp } from '../support/app.ts';
import { buildCohort, buildSession } from '../support/cohortFactories.ts';
import { useTestDatabase } from '../support/db.ts';
import { buildUser, testPassword } from '../support/factories.ts';

/** What a browser saves a download as: `filename*` when it is there, and what older programs read, `filename`. */
function namesOf(disposition: string | undefined): { name: string; ascii: string } {
  const ascii = /^attachment; filename="([ -~]*)"/.exec(disposition ?? '')?.[1];
  const extended = /; filename\*=UTF-8''([^;]+)$/.exec(disposition ?? '')?.[1];
  expect(ascii, disposition).to.be.a('string');
  return { name: extended ? decodeURIComponent(extended) : ascii!, ascii: ascii! };
}

describe('download names, in any script (server/http/downloads.ts)', () => {
  useTestDatabase();
  let app: ReturnType<typeof testApp>;
  before(() => {
    app = testApp();
  });

  it('a cohort named in Cyrillic: its attendance and progress files carry its name, with the same ASCII fallback form', async () => {
    const facilitator = await buildUser({ roles: ['facilitator'] });
    const cohort = await buildCohort({ name: 'Лидеры 2027', facilitatorIds: [facilitator.id] });
    const agent = await signIn(app, facilitator.email, testPassword);
    const attendance = await agent.get(`/cohorts/${String(cohort._id)}/attendance.csv`).expect(200);
    expect(namesOf(attendance.headers['content-disposition'])).to.deep.equal({
      name: 'Лидеры 2027 attendance.csv',
      ascii: '2027-attendance.csv',
    });
    const progress = await agent.get(`/cohorts/${String(cohort._id)}/progress.csv`).expect(200);
    expect(namesOf(progress.headers['content-disposition'])).to.deep.equal({
      name: 'Лидеры 2027 progress.csv',
      ascii: '2027-progress.csv',
    });
  });

  it('a session’s calendar file is named as it is titled, its accents folded in the ASCII name', async () => {
    const facilitator = await buildUser({ roles: ['facilitator'] });
    const cohort = await buildCohort({ facilitatorIds: [facilitator.id] });
    const session = await buildSession(cohort._id, { title: '1:1 séance un naïve' });
    const agent = await signIn(app, facilitator.email, testPassword);
    const ics = await agent.get(`/sessions/${String(session._id)}.ics`).expect(200);
    expect(namesOf(ics.headers['content-disposition'])).to.deep.equal({
      name: '1-1 séance un naïve.ics',
      ascii: '1-1-seance-un-naive.ics',
    });
  });

  it('folds what it can, never leaves a dash at either end, and names a title with no Latin letter "download"', () => {
    expect(namesOf(downloadDisposition('Straße Ærø — Ołów ', 'pdf'))).to.deep.equal({
      name: 'Straße Ærø — Ołów.pdf',
      ascii: 'Strasse-AEro-Olow.pdf',
    });
    // Folded by the letters' table the name searches use too.
    expect(namesOf(downloadDisposition('İpek Yılmaz GROẞ Þóra', 'csv')).ascii).to.equal('Ipek-Yilmaz-GROSS-Thora.csv');
    expect(namesOf(downloadDisposition('会议', 'ics'))).to.deep.equal({ name: '会议.ics', ascii: 'download.ics' });
    // A quotation mark, a slash or a direction override never reaches the header or the saved name.
    const hostile = downloadDisposition('a"b/c\\d\u202e\r\nX', 'csv');
    expect(hostile).to.not.match(/[\r\n\u202e]/);
    expect(namesOf(hostile)).to.deep.equal({ name: 'a-b-c-d-X.csv', ascii: 'a-b-c-d-X.csv' });
    // A plain ASCII name is given once.
    expect(downloadDisposition('audit-trail', 'csv')).to.equal('attachment; filename="audit-trail.csv"');
    // A stored file's name keeps its extension (an evidence file, an email's attachment).
    expect(namesOf(downloadDisposition("Siobhán Ní Bhriain 王秀英 (O'Neill).pdf"))).to.deep.equal({
      name: "Siobhán Ní Bhriain 王秀英 (O'Neill).pdf",
      ascii: 'Siobhan-Ni-Bhriain-O-Neill.pdf',
    });
  });
});
