import { expect } from 'chai';
import { Types } from 'mongoose';
import { OutboxMessageModel } from '../../models/OutboxMessage.ts';
import { renderEmailParts } from '../../server/emails.ts';
import { sendEmail } from '../../server/mailer.ts';
import { templateLocals, type Recipient } from '../../server/services/reminders/compose.ts';
import { useTestDatabase } from '../support/db.ts';

const [fsi, pdi] = ['\u2068', '\u2069'];
const fatima = 'فاطمة الزهراء';
const dana = 'דנה לוי';

/**
 * A right-to-left name followed by a number: without isolation the number joins the name's run and is shown before
 * it ("3 :فاطمة الزهراء modules"), as if it were someone else's. Every name and title in a sentence is set apart:
 * `<bdi>` in the HTML part, U+2068…U+2069 in the plain-text part, and the mailer keeps those pairs.
 */
describe('emails: right-to-left names and titles are isolated from the words and numbers around them', () => {
  useTestDatabase();

  const reader: Recipient = {
    _id: new Types.ObjectId(),
    email: 'reader@example.org',
    name: 'زينب الهاشمي',
    timezone: 'Europe/London',
    status: 'active',
  };

  /** The email as it reaches her mailbox (the outbox, through the mailer). */
  const delivered = async (template: string, kind: string, data: Record<string, unknown>) => {
    const to = `${template}-${new Types.ObjectId().toHexString()}@example.org`;
    const parts = renderEmailParts(template, templateLocals(reader, kind, 'Subject', data));
    await sendEmail({ to, subject: 'Subject', ...parts });
    const stored = (await OutboxMessageModel.findOne({ to }).lean())!;
    return { text: stored.text, html: stored.html ?? '' };
  };

  it('the facilitator digest: "فاطمة الزهراء: 3 modules" and "דנה לוי (40%): …" keep their numbers after the name, in both parts', async () => {
    const { text, html } = await delivered('facilitator-digest', 'facilitator-digest', {
      cohortName: 'قادة ٢٠٢٧',
      week: [
        {
          title: 'جلسة 1',
          startsAt: new Date('2027-03-01T10:00:00Z'),
          present: 3,
          late: 0,
          excused: 0,
          absent: 1,
          unmarked: 0,
        },
      ],
      behind: [{ name: fatima, modules: 3 }],
      flagged: [{ name: dana, rate: 40, flags: ['missed 2 sessions in a row'] }],
      cohortUrl: 'https://pathways.example/cohorts/1',
    });
    expect(text).to.include(`  - ${fsi}${fatima}${pdi}: 3 modules`);
    expect(text).to.include(`  - ${fsi}${dana}${pdi} (40%): missed 2 sessions in a row`);
    expect(text).to.include(`Hello ${fsi}${reader.name}${pdi},`);
    expect(text).to.include(`Your weekly digest for ${fsi}قادة ٢٠٢٧${pdi}.`);
    expect(text).to.include(`  - ${fsi}جلسة 1${pdi}, `);
    expect(html).to.include(`<li><bdi>${fatima}</bdi>: 3 modules</li>`);
    expect(html).to.include(`<li><bdi>${dana}</bdi> (40%): missed 2 sessions in a row</li>`);
    expect(html).to.include(`<strong><bdi>قادة ٢٠٢٧</bdi></strong>`);
    expect(html).to.not.match(/[\u2066-\u2069]/);
  });

  it('panel not ready: "דנה לוי: 40% done" keeps its percent after the name; a direction override in a stored name is dropped, the isolation kept', async () => {
    const { text, html } = await delivered('panel-not-ready', 'panel-not-ready', {
      roundTitle: 'מנהלת בית ספר',
      boardName: 'Riverside <Board>',
      interviewDate: '2027-06-01',
      daysBefore: 7,
      notReady: [
        { name: dana, status: 'in-progress', percent: 40 },
        { name: 'Mallory \u202eevil', status: 'not-started' },
      ],
      link: '/boards/rounds/1',
    });
    expect(text).to.include(`- ${fsi}${dana}${pdi}: 40% done`);
    expect(text).to.include(`- ${fsi}Mallory evil${pdi}: not started`);
    expect(text).to.include(`The interview for "${fsi}מנהלת בית ספר${pdi}" (${fsi}Riverside <Board>${pdi})`);
    expect(html).to.include(`<li><bdi>${dana}</bdi>: 40% done</li>`);
    expect(html).to.include(`(<bdi>Riverside &lt;Board&gt;</bdi>)`);
    expect(text + html).to.not.include('\u202e');
  });

  it('the mailer keeps a closed isolate and drops a stray one (an unclosed isolate, or a lone closing one, in a name stored before names refused them)', async () => {
    await sendEmail({
      to: 'stray@example.org',
      subject: 'x',
      text: `${pdi}${fsi}${fatima}${pdi}: 3 modules; Mallory ${fsi}evil: 2 modules`,
    });
    const stored = (await OutboxMessageModel.findOne({ to: 'stray@example.org' }).lean())!;
    expect(stored.text).to.equal(`${fsi}${fatima}${pdi}: 3 modules; Mallory evil: 2 modules`);
  });
});
