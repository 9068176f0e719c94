import { expect } from 'chai';
import { z } from 'zod';
import { withFieldLabels } from '../../server/http/errorSummaryLabels.ts';
import { parseForm } from '../../server/http/forms.ts';
import { fieldErrorsFrom, isoDate, objectId } from '../../server/http/validate.ts';
import { csrfOf, signIn, testApp } from '../support/app.ts';
import { useTestDatabase } from '../support/db.ts';
import { buildUser, testPassword } from '../support/factories.ts';
import { buildCohort } from '../support/cohortFactories.ts';
import { buildNetwork } from '../support/networkFactories.ts';

/** The message a value gets from a schema that sets none of its own. */
const messageFor = (schema: z.ZodType, value: unknown) => {
  const result = schema.safeParse(value);
  if (result.success) throw new Error('expected a refusal');
  return fieldErrorsFrom(result.error)[0]!.message;
};

describe('server: form messages in plain words, introduced by the labels she sees', () => {
  it('says what is wrong in words that read after a field label, for the checks schemas leave unworded', () => {
    expect(messageFor(z.coerce.number(), 'an hour')).to.equal('must be a number');
    expect(messageFor(z.number().int(), 1.5)).to.equal('must be a whole number');
    expect(messageFor(z.string(), undefined)).to.equal('is required');
    expect(messageFor(z.string(), ['a'])).to.equal('must be text');
    expect(messageFor(z.string().min(1), '')).to.equal('is required');
    expect(messageFor(z.string().min(8), 'short')).to.equal('must have at least 8 characters');
    expect(messageFor(z.string().max(3), 'long')).to.equal('must have at most 3 characters');
    expect(messageFor(z.number().min(5), 1)).to.equal('must be at least 5');
    expect(messageFor(z.number().max(1440), 2000)).to.equal('must be at most 1440');
    expect(messageFor(z.array(z.string()).min(1), [])).to.equal('choose at least one');
    expect(messageFor(z.enum(['online', 'in-person']), 'moon')).to.equal('must be one of: online, in-person');
    expect(messageFor(z.enum(['interviews', 'governance', 'finance', 'curriculum', 'wellbeing']), 'x')).to.equal(
      'must be one of the options offered',
    );
    expect(messageFor(z.email(), 'nobody')).to.equal('must be an email address like name@example.org');
    expect(messageFor(z.url(), 'nowhere')).to.equal('must be a web address such as https://example.org');
    expect(messageFor(z.iso.date(), '3 May')).to.equal('must be a date as YYYY-MM-DD');
  });

  it('says a form field left empty is required, not the format or codes of the check it failed; a message the schema words itself is kept', () => {
    const form = parseForm(
      z.object({
        programmeId: objectId,
        track: z.enum(['governing-board', 'aspiring-leader']),
        firstDay: isoDate,
        title: z.string().min(1, 'enter a title'),
        lastDay: isoDate,
      }),
      { programmeId: '', firstDay: ' ', title: '', lastDay: '3 May' },
    );
    expect(form.ok).to.equal(false);
    if (form.ok) return;
    expect(form.errors).to.deep.equal({
      programmeId: 'is required',
      track: 'is required',
      firstDay: 'is required',
      title: 'enter a title',
      lastDay: 'must be a date as YYYY-MM-DD',
    });
  });

  it('says what is wrong with a date in one message: its form, else the month or day that does not exist, else its year', () => {
    expect(messageFor(isoDate, '27-01-01')).to.equal('must be a date as YYYY-MM-DD');
    expect(messageFor(isoDate, '2027-02-30')).to.equal('must be a real date: February 2027 has 28 days');
    expect(messageFor(isoDate, '2027-04-31')).to.equal('must be a real date: April 2027 has 30 days');
    expect(messageFor(isoDate, '2027-13-01')).to.equal('must be a real date: there is no month 13');
    expect(messageFor(isoDate, '1899-12-31')).to.equal('must be a date from 1900 to 2199: check the year');
    expect(isoDate.safeParse('2028-02-29').success).to.equal(true);
    for (const wrong of ['27-01-01', '2027-02-30', '0027-01-01'])
      expect(isoDate.safeParse(wrong).error!.issues, wrong).to.have.length(1);
  });

  it('keeps a message a schema sets itself', () => {
    expect(messageFor(z.string().min(1, 'enter a title'), '')).to.equal('enter a title');
    expect(messageFor(z.number({ error: 'give the length in minutes' }), 'x')).to.equal('give the length in minutes');
  });

  it('names a field in the error summary by the label the page gives it (a label, or a fieldset legend), else keeps the fallback', () => {
    const page = [
      '<div class="error-summary"><ul>',
      '<li><a href="#field-capacity"><span data-field-label="field-capacity">Capacity</span>: must be a number</a></li>',
      '<li><a href="#field-mode"><span data-field-label="field-mode">Mode</span>: must be one of: a, b</a></li>',
      '<li><a href="#field-gone"><span data-field-label="field-gone">Gone</span>: is required</a></li>',
      '</ul></div>',
      '<label for="field-capacity">Places <span class="visually-hidden">(for people)</span></label>',
      '<fieldset class="field" id="field-mode"><legend>Where</legend></fieldset>',
    ].join('');
    const labelled = withFieldLabels(page, { errorList: [{ path: 'capacity' }, { path: 'mode' }, { path: 'gone' }] });
    expect(labelled).to.include('>Places: must be a number<');
    expect(labelled).to.include('>Where: must be one of: a, b<');
    expect(labelled).to.include('>Gone: is required<');
    expect(labelled).not.to.include('data-field-label');
    expect(withFieldLabels('<p>no marks</p>', { errorList: [{ path: 'capacity' }] })).to.equal('<p>no marks</p>');
    // A page rendered without errors has no summary, so it is not searched (and is returned as rendered).
    expect(withFieldLabels(page, { errorList: [] })).to.equal(page);
    expect(withFieldLabels(page, {})).to.equal(page);
  });

  it('leads a summary link to a group of radios or checkboxes to its first box (a fieldset takes no focus), named by its legend', () => {
    const page = [
      '<div class="error-summary"><ul>',
      '<li><a href="#field-kind"><span data-field-label="field-kind">Kind</span>: is required</a></li>',
      '<li><a href="#field-roles"><span data-field-label="field-roles">Roles</span>: choose one</a></li>',
      '</ul></div>',
      '<fieldset id="field-kind"><legend>What happened</legend><input type="hidden" id="x-kept" name="k">',
      '<input type="radio" id="kind-applied" name="kind"><input type="radio" id="kind-appointed" name="kind"></fieldset>',
      '<fieldset id="field-roles"><legend>Roles</legend><label><input type="checkbox" name="roles"> Admin</label></fieldset>',
    ].join('');
    const linked = withFieldLabels(page, { errorList: [{ path: 'kind' }, { path: 'roles' }] });
    expect(linked).to.include('<a href="#kind-applied">What happened: is required</a>');
    // Boxes with no id of their own (each in its label): the first is given one, and the link leads there.
    expect(linked).to.include('<a href="#field-roles-first">Roles: choose one</a>');
    expect(linked).to.include('<label><input id="field-roles-first" type="checkbox" name="roles"> Admin</label>');
  });

  describe('a form sent back with errors', () => {
    useTestDatabase();

    it('introduces each message by the label of its field on that page, in plain words (the new cohort form)', async () => {
      const app = testApp();
      const admin = await buildUser({ roles: ['admin'] });
      const agent = await signIn(app, admin.email, testPassword);
      const res = await agent
        .post('/cohorts')
        .type('form')
        .send({
          _csrf: await csrfOf(agent, '/cohorts/new'),
          name: 'Typed name',
          capacity: 'many',
          timezone: 'Europe/London',
          startsOn: '2027-01-01',
          endsOn: '2027-06-30',
          lateAfterMinutes: '10',
          attendanceThreshold: '75',
        })
        .expect(422);
      const start = res.text.indexOf('id="error-summary-title"');
      const summary = res.text.slice(start, res.text.indexOf('</ul>', start));
      expect(summary).to.include('Places: must be a number');
      expect(summary).not.to.include('Capacity').and.not.to.include('data-field-label');
      expect(res.text).to.include('Typed name');
    });

    it('says one thing about a field, the same in the summary and at the field: its form before its range, and a whole number past every safe integer by its own maximum', async () => {
      const app = testApp();
      const runner = await buildUser({ roles: ['facilitator'] });
      const cohort = await buildCohort({ facilitatorIds: [runner.id] });
      const agent = await signIn(app, runner.email, testPassword);
      const form = `/cohorts/${String(cohort._id)}/sessions/new`;
      const res = await agent
        .post(`/cohorts/${String(cohort._id)}/sessions`)
        .type('form')
        .send({
          _csrf: await csrfOf(agent, form),
          title: 'Workshop',
          startsAt: '2027-03-02T09:30',
          durationMinutes: '99999999999999999999',
          mode: 'online',
          joinUrl: 'https://meet.example.org/w',
        })
        .expect(422);
      expect(res.text.match(/must be at most 1440/g)).to.have.length(2);
      expect(res.text).not.to.include('9007199254740991');

      const network = await buildNetwork({}, { leads: [runner] });
      const page = await agent
        .get(`/networks/${network.id}/find-a-time?durationMinutes=60&from=3%20May&days=7`)
        .expect(422);
      expect(page.text.match(/must be a date as YYYY-MM-DD/g)).to.have.length(2);
      expect(page.text).not.to.include('from 1900 to 2199');
      // Left empty, it is required: its format is the date picker's, not hers to type.
      const empty = await agent.get(`/networks/${network.id}/find-a-time?durationMinutes=60&from=&days=7`).expect(422);
      expect(empty.text.match(/is required/g)).to.have.length(2);
      expect(empty.text).not.to.include('YYYY-MM-DD');
    });
  });
});
