import { expect } from 'chai';
import supertest from 'supertest';
import { EventRsvpModel } from '../../models/EventRsvp.ts';
import { NetworkEventModel } from '../../models/NetworkEvent.ts';
import { NotificationModel } from '../../models/Notification.ts';
import { closeMailer, configureMailer } from '../../server/mailer.ts';
import { calendarFeedUrl } from '../../server/services/cohorts/calendar.ts';
import { eventChangesAnnounced } from '../../server/services/networks/events.ts';
import { runDueNotifications } from '../../server/services/reminders/index.ts';
import { csrfOf, signIn, testApp } from '../support/app.ts';
import { useTestDatabase } from '../support/db.ts';
import { holdNextCall } from '../support/heldCall.ts';
import { buildNetwork } from '../support/directoryFactories.ts';
import { buildUser, testPassword, tokenFor, type TestUser } from '../support/factories.ts';
import { emailPart, startSmtpSink, type ReceivedEmail } from '../support/smtp.ts';

const minutes = (n: number) => n * 60_000;

/** The calendar file attached to a received email, its folded lines unfolded. */
const attachedCalendar = (email: ReceivedEmail) => emailPart(email, 'text/calendar').replace(/\n[ \t]/g, '');

describe('networks: a lead changes or cancels an event; members going are told once, reminders and calendars follow', () => {
  useTestDatabase();
  let app: ReturnType<typeof testApp>;
  let sink: Awaited<ReturnType<typeof startSmtpSink>>;
  let lead: TestUser;
  let sydney: TestUser;
  let toronto: TestUser;
  let outsider: TestUser;
  let network: { id: string; name: string };
  const api = async (user: TestUser) => {
    const token = await tokenFor(user);
    const auth = (r: supertest.Test) => r.set('Authorization', `Bearer ${token}`);
    return {
      post: (p: string) => auth(supertest(app).post(p)),
      patch: (p: string) => auth(supertest(app).patch(p)),
      delete: (p: string) => auth(supertest(app).delete(p)),
      get: (p: string) => auth(supertest(app).get(p)),
    };
  };
  const details = (startsAt: string, title = 'Evening for returners') => ({
    title,
    startsAt,
    durationMinutes: 60,
    mode: 'online',
    joinUrl: 'https://meet.example.org/returners',
  });
  /** An event she (Sydney) is going to and Toronto is not; its id. */
  async function eventWithAnswers(startsAt: string, title?: string): Promise<string> {
    const created = await (
      await api(lead)
    )
      .post(`/api/v1/networks/${network.id}/events`)
      .send(details(startsAt, title))
      .expect(201);
    const id = created.body.id as string;
    await (await api(sydney)).post(`/api/v1/events/${id}/rsvp`).send({ going: true }).expect(200);
    await (await api(toronto)).post(`/api/v1/events/${id}/rsvp`).send({ going: false }).expect(200);
    return id;
  }
  const toHer = (user: TestUser) => sink.received.filter((m) => m.to.includes(user.email));

  before(async () => {
    app = testApp();
    sink = await startSmtpSink();
    configureMailer({ smtpUrl: sink.url, from: 'Pathways <no-reply@pathways.test>' });
    lead = await buildUser({ name: 'Lina Lead', timezone: 'Europe/London' });
    sydney = await buildUser({ name: 'Sadie Sydney', timezone: 'Australia/Sydney' });
    toronto = await buildUser({ name: 'Tara Toronto', timezone: 'America/Toronto' });
    outsider = await buildUser();
    network = await buildNetwork([lead, sydney, toronto], { leads: [lead], name: 'Returners after a break' });
  });
  after(async () => {
    closeMailer();
    await sink.stop();
  });
  beforeEach(() => {
    sink.received.length = 0;
  });

  it('moving an event moves the reminders of those going, and each is emailed ONE change notice in her zone, naming the old time', async () => {
    const id = await eventWithAnswers('2027-05-12T09:00:00.000Z');
    const moved = await (
      await api(lead)
    )
      .patch(`/api/v1/events/${id}`)
      .send({ startsAt: '2027-05-13T10:00:00.000Z', sequence: 0 })
      .expect(200);
    expect(moved.body).to.include({ startsAt: '2027-05-13T10:00:00.000Z', sequence: 1, status: 'scheduled' });
    const reminders = await NotificationModel.find({ kind: 'network-event-reminder', 'about.id': id }).lean();
    const scheduled = reminders.filter((r) => r.status === 'scheduled');
    expect(scheduled.map((r) => r.eventAt!.toISOString())).to.deep.equal([
      '2027-05-13T10:00:00.000Z',
      '2027-05-13T10:00:00.000Z',
    ]);
    expect(reminders.filter((r) => r.status === 'cancelled')).to.have.length(2);
    // A second change within ten minutes plans no second notice: the one waiting tells the latest state.
    await (
      await api(lead)
    )
      .patch(`/api/v1/events/${id}`)
      .send({ location: 'ignored online', joinUrl: 'https://meet.example.org/returners-2' })
      .expect(200);
    const notices = await NotificationModel.find({ kind: 'network-event-changed', 'about.id': id }).lean();
    expect(notices.map((n) => String(n.userId))).to.deep.equal([sydney.id]);

    await runDueNotifications({ now: new Date(Date.now() + minutes(11)) });
    await runDueNotifications({ now: new Date(Date.now() + minutes(12)) });
    expect(toHer(toronto)).to.have.length(0);
    expect(toHer(sydney)).to.have.length(1);
    const email = toHer(sydney)[0]!;
    expect(email.subject).to.equal('Changed: Evening for returners');
    const text = emailPart(email, 'text/plain');
    // 09:00 UTC on 12 May 2027 is 19:00 in Sydney (AEST, GMT+10); 10:00 UTC the next day is 20:00.
    expect(text).to.include('It was planned for Wednesday 12 May 2027, 19:00 GMT+10 (Australia/Sydney).');
    expect(text).to.include('It now starts Thursday 13 May 2027, 20:00 GMT+10 (Australia/Sydney)');
    // Each place is isolated from the sentence around it (FSI … PDI), as everything people typed is.
    expect(text.replace(/[\u2068\u2069]/g, '')).to.include(
      'It was online (https://meet.example.org/returners); it is now online (https://meet.example.org/returners-2).',
    );
    const ics = attachedCalendar(email);
    expect(ics).to.include(`UID:network-event-${id}@pathways`).and.include('SEQUENCE:2').and.include('METHOD:PUBLISH');
    expect(ics).to.include('DTSTART:20270513T100000Z');
  });

  it('a change of title only, or one that changes nothing, emails nobody; nothing at all writes nothing', async () => {
    const id = await eventWithAnswers('2027-06-02T09:00:00.000Z');
    const same = await (
      await api(lead)
    )
      .patch(`/api/v1/events/${id}`)
      .send({ ...details('2027-06-02T09:00:00.000Z'), sequence: 0 })
      .expect(200);
    expect(same.body.sequence).to.equal(0);
    const renamed = await (
      await api(lead)
    )
      .patch(`/api/v1/events/${id}`)
      .send({ title: 'Evening for returners (with guests)' })
      .expect(200);
    expect(renamed.body).to.include({ title: 'Evening for returners (with guests)', sequence: 1 });
    expect(await NotificationModel.countDocuments({ kind: 'network-event-changed', 'about.id': id })).to.equal(0);
  });

  it('only leads and admins change or cancel (a member 403, a non-member 403); a change over an old sequence is a 409 and writes nothing', async () => {
    const id = await eventWithAnswers('2027-06-09T09:00:00.000Z');
    await (await api(sydney)).patch(`/api/v1/events/${id}`).send({ title: 'Mine now' }).expect(403);
    await (await api(outsider)).delete(`/api/v1/events/${id}`).expect(403);
    await (await api(lead)).patch(`/api/v1/events/${id}`).send({ durationMinutes: 90 }).expect(200);
    const stale = await (
      await api(lead)
    )
      .patch(`/api/v1/events/${id}`)
      .send({ durationMinutes: 30, sequence: 0 })
      .expect(409);
    expect(stale.headers['content-type']).to.match(/application\/problem\+json/);
    expect((await NetworkEventModel.findById(id).lean())!.durationMinutes).to.equal(90);
    const bad = await (
      await api(lead)
    )
      .patch(`/api/v1/events/${id}`)
      .send({ startsAt: '2020-01-01T09:00:00.000Z', mode: 'in-person' })
      .expect(422);
    expect(bad.body.errors.map((e: { path: string }) => e.path).sort()).to.deep.equal(['location', 'startsAt']);
    const admin = await buildUser({ roles: ['admin'] });
    await (await api(admin)).patch(`/api/v1/events/${id}`).send({ durationMinutes: 45 }).expect(200);
  });

  it('two changes over the same sequence at once: exactly one lands, the other is a 409', async () => {
    const id = await eventWithAnswers('2027-06-16T09:00:00.000Z');
    const leadApi = await api(lead);
    const answers = await Promise.all(
      [30, 45, 90, 120].map((durationMinutes) =>
        leadApi.patch(`/api/v1/events/${id}`).send({ durationMinutes, sequence: 0 }),
      ),
    );
    expect(answers.map((a) => a.status).sort()).to.deep.equal([200, 409, 409, 409]);
    const stored = (await NetworkEventModel.findById(id).lean())!;
    expect(stored.sequence).to.equal(1);
    expect(stored.history).to.have.length(1);
    expect(answers.find((a) => a.status === 200)!.body.durationMinutes).to.equal(stored.durationMinutes);
  });

  it('cancelling tells those going once, with a calendar CANCEL naming her; it then takes no answer or change, and her feed marks it cancelled', async () => {
    const id = await eventWithAnswers('2027-06-23T09:00:00.000Z');
    await (await api(lead)).delete(`/api/v1/events/${id}`).expect(204);
    await (await api(lead)).delete(`/api/v1/events/${id}`).expect(204);
    expect(
      await NotificationModel.countDocuments({ kind: 'network-event-reminder', 'about.id': id, status: 'scheduled' }),
    ).to.equal(0);
    await runDueNotifications({ now: new Date() });
    await runDueNotifications({ now: new Date() });
    expect(toHer(toronto)).to.have.length(0);
    expect(toHer(sydney).map((m) => m.subject)).to.deep.equal(['Cancelled: Evening for returners']);
    const email = toHer(sydney)[0]!;
    expect(emailPart(email, 'text/plain')).to.include(
      'planned for Wednesday 23 June 2027, 19:00 GMT+10 (Australia/Sydney), is cancelled',
    );
    const ics = attachedCalendar(email);
    expect(ics).to.include('METHOD:CANCEL').and.include('STATUS:CANCELLED').and.include('SEQUENCE:1');
    expect(ics).to.match(/ORGANIZER;CN="?Pathways"?:mailto:no-reply@pathways\.test/);
    expect(ics).to.match(new RegExp(`ATTENDEE;[^\\r\\n]*CN="?Sadie Sydney"?:MAILTO:${sydney.email}`, 'i'));

    const member = await api(sydney);
    const refused = await member.post(`/api/v1/events/${id}/rsvp`).send({ going: true }).expect(409);
    expect(refused.body.detail).to.equal('This event was cancelled.');
    await (await api(lead)).patch(`/api/v1/events/${id}`).send({ title: 'Back on' }).expect(409);
    const listed = await member.get(`/api/v1/networks/${network.id}/events`).expect(200);
    expect(listed.body.items.find((e: { id: string }) => e.id === id)).to.include({ status: 'cancelled' });
    const feed = await supertest(app)
      .get(new URL(await calendarFeedUrl({ userId: sydney.id })).pathname)
      .expect(200);
    const inFeed = feed.text
      .replace(/\r\n[ \t]/g, '')
      .split('BEGIN:VEVENT')
      .find((e) => e.includes(`network-event-${id}@`));
    expect(inFeed).to.include('STATUS:CANCELLED').and.include('SEQUENCE:1');
  });

  it('an answer "going" written while a lead cancels or moves the event (another process) is followed: her cancellation notice, or her reminders at the new start', async () => {
    const create = async (startsAt: string) =>
      (await (await api(lead)).post(`/api/v1/networks/${network.id}/events`).send(details(startsAt)).expect(201)).body
        .id as string;
    /** Toronto answers "going"; her answer's write waits until `meanwhile` has run. */
    async function goingWhile(id: string, meanwhile: () => Promise<unknown>) {
      const held = holdNextCall(EventRsvpModel, 'updateOne', {
        before: true,
        when: (args) => JSON.stringify(args[0]).includes(toronto.id),
      });
      try {
        const answering = (await api(toronto))
          .post(`/api/v1/events/${id}/rsvp`)
          .send({ going: true })
          .then((res) => res);
        await held.reached;
        held.restore();
        await meanwhile();
        held.release();
        return await answering;
      } finally {
        held.release();
        held.restore();
      }
    }
    const cancelledId = await create('2027-06-02T09:00:00.000Z');
    const answer = await goingWhile(cancelledId, async () =>
      (await api(lead)).delete(`/api/v1/events/${cancelledId}`).expect(204),
    );
    expect(answer.status).to.equal(409);
    const hers = (id: string) =>
      NotificationModel.find({ 'about.id': id, userId: toronto.id, status: 'scheduled' }).lean();
    expect((await hers(cancelledId)).map((n) => n.kind)).to.deep.equal(['network-event-cancelled']);

    const movedId = await create('2027-06-09T09:00:00.000Z');
    const moved = await goingWhile(movedId, async () =>
      (await api(lead)).patch(`/api/v1/events/${movedId}`).send({ startsAt: '2027-06-10T09:00:00.000Z' }).expect(200),
    );
    expect(moved.status).to.equal(200);
    expect(moved.body.startsAt).to.equal('2027-06-10T09:00:00.000Z');
    const reminders = (await hers(movedId)).filter((n) => n.kind === 'network-event-reminder');
    expect(reminders.length).to.be.greaterThan(0);
    for (const r of reminders) expect(r.eventAt!.toISOString()).to.equal('2027-06-10T09:00:00.000Z');
  });

  it('a cancellation whose process stopped before the members going were told is announced by the 5-minute sweep, once', async () => {
    const id = await eventWithAnswers('2027-07-21T09:00:00.000Z', 'Evening we call off');
    // The cancellation is written and its reactions run, then its process "stops" before marking it announced.
    const clearing = holdNextCall(NetworkEventModel, 'updateOne', {
      before: true,
      when: (args) => (args[1] as { $unset?: object } | undefined)?.$unset !== undefined,
    });
    try {
      const cancelling = (await api(lead)).delete(`/api/v1/events/${id}`).then((res) => res);
      await clearing.reached;
      expect((await NetworkEventModel.findById(id).lean())!.announcePendingSince).to.be.instanceOf(Date);
      // As if it had stopped before planning her notice too.
      await NotificationModel.deleteMany({ 'about.id': id, kind: 'network-event-cancelled' });
      // Within the grace nothing is done; after it, she is told once, and a second run tells her nothing more.
      expect(await eventChangesAnnounced()).to.equal(0);
      const later = { now: new Date(Date.now() + 1000), graceMs: 0 };
      expect(await eventChangesAnnounced(later)).to.equal(1);
      expect(await eventChangesAnnounced(later)).to.equal(0);
      const notices = await NotificationModel.find({ 'about.id': id, kind: 'network-event-cancelled' }).lean();
      expect(notices.map((n) => String(n.userId))).to.deep.equal([sydney.id]);
      clearing.release();
      expect((await cancelling).status).to.equal(204);
    } finally {
      clearing.release();
      clearing.restore();
    }
    expect((await NetworkEventModel.findById(id).lean())!.announcePendingSince).to.equal(undefined);
  });

  it('the web form: the lead changes an event in her zone, a refused change keeps what she typed, and cancelling asks first', async () => {
    const id = await eventWithAnswers('2027-07-07T09:00:00.000Z');
    const agent = await signIn(app, lead.email, testPassword);
    const page = await agent.get(`/events/${id}`).expect(200);
    expect(page.text).to.include(`href="/events/${id}/edit"`);
    const form = await agent.get(`/events/${id}/edit`).expect(200);
    // 09:00 UTC is 10:00 in London (BST).
    expect(form.text).to.include('value="2027-07-07T10:00"').and.include('name="version" value="0"');
    const send = async (fields: Record<string, string>) =>
      agent
        .post(`/events/${id}/edit`)
        .type('form')
        .send({
          _csrf: await csrfOf(agent, `/events/${id}/edit`),
          version: '0',
          title: 'Evening for returners',
          startsAtLocal: '2027-07-07T10:00',
          durationMinutes: '60',
          mode: 'online',
          joinUrl: 'https://meet.example.org/returners',
          location: '',
          ...fields,
        });
    const refused = await send({ mode: 'in-person', location: '', title: 'Lunch for returners' });
    expect(refused.status).to.equal(422);
    expect(refused.text).to.include('is required for an event in person').and.include('value="Lunch for returners"');
    expect((await send({ startsAtLocal: '2027-07-08T18:30' })).status).to.equal(303);
    expect((await NetworkEventModel.findById(id).lean())!.startsAt.toISOString()).to.equal('2027-07-08T17:30:00.000Z');
    // Sent again over the version she opened, the form comes back with her words and the version now stored.
    const stale = await send({ title: 'Over an old version' });
    expect(stale.status).to.equal(409);
    expect(stale.text).to.include('value="Over an old version"').and.include('name="version" value="1"');
    expect((await NetworkEventModel.findById(id).lean())!.title).to.equal('Evening for returners');

    const cancel = async (confirmed?: string) =>
      agent
        .post(`/events/${id}/cancel`)
        .type('form')
        .send({ _csrf: await csrfOf(agent, `/events/${id}/edit`), ...(confirmed ? { confirmed } : {}) });
    const asked = await cancel();
    expect(asked.status).to.equal(200);

    expect(asked.text).to.include(
      'Cancel the event “Evening for returners” on Thursday 8 July 2027, 18:30 GMT+1 (Europe/London)?',
    );
    expect((await NetworkEventModel.findById(id).lean())!.status).to.equal('scheduled');
    expect((await cancel('yes')).status).to.equal(303);
    const after = await agent.get(`/events/${id}`).expect(200);
    expect(after.text).to.include('This event was cancelled').and.not.include(`href="/events/${id}/edit"`);
    const member = await signIn(app, sydney.email, testPassword);
    const herPage = await member.get(`/events/${id}`).expect(200);
    expect(herPage.text).to.include('This event was cancelled').and.not.include('I am going');
    // Its changes, in her zone: 09:00 UTC on 7 July 2027 was 19:00 in Sydney.
    expect(herPage.text).to.include(
      'it was planned for Wednesday 7 July 2027, 19:00 GMT+10 (Australia/Sydney), 60 minutes.',
    );
    await member.get(`/events/${id}/edit`).expect(403);
  });

  it('a page of events walks on from where it ended when a lead moves an event between two pages', async () => {
    const own = await buildNetwork([lead, sydney], { leads: [lead] });
    const ids: string[] = [];
    for (const day of ['01', '02', '03'])
      ids.push(
        (
          await (
            await api(lead)
          )
            .post(`/api/v1/networks/${own.id}/events`)
            .send(details(`2027-09-${day}T09:00:00.000Z`, `Event ${day}`))
            .expect(201)
        ).body.id as string,
      );
    const member = await api(sydney);
    const first = await member.get(`/api/v1/networks/${own.id}/events?limit=1`).expect(200);
    expect(first.body.items.map((e: { id: string }) => e.id)).to.deep.equal([ids[0]]);
    // The first page's event moves after the others: the walk goes on after where that page ended.
    await (
      await api(lead)
    )
      .patch(`/api/v1/events/${ids[0]}`)
      .send({ startsAt: '2027-09-04T09:00:00.000Z' })
      .expect(200);
    const seen: string[] = [];
    let cursor = first.body.nextCursor as string | null;
    while (cursor) {
      const page = await member.get(`/api/v1/networks/${own.id}/events?limit=1&cursor=${cursor}`).expect(200);
      seen.push(...page.body.items.map((e: { id: string }) => e.id));
      cursor = page.body.nextCursor;
    }
    expect(seen).to.deep.equal([ids[1], ids[2], ids[0]]);
  });
});
