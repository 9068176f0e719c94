import { expect } from 'chai';
import { Types } from 'mongoose';
import supertest from 'supertest';
import { EventRsvpModel } from '../../models/EventRsvp.ts';
import { NetworkEventModel } from '../../models/NetworkEvent.ts';
import { NotificationModel } from '../../models/Notification.ts';
import { closeMailer, configureMailer } from '../../server/mailer.ts';
import { calendarFeedUrl } from '../../server/services/cohorts/calendar.ts';
import { updateUserAsAdmin } from '../../server/services/accounts/manage.ts';
import { rsvpToEvent } from '../../server/services/networks/events.ts';
import { runDueNotifications, settleNotifications } from '../../server/services/reminders/index.ts';
import { csrfOf, signIn, testApp } from '../support/app.ts';
import { useTestDatabase } from '../support/db.ts';
import { buildNetwork } from '../support/directoryFactories.ts';
import { buildUser, testPassword, tokenFor, type TestUser } from '../support/factories.ts';
import { holdNextCall } from '../support/heldCall.ts';
import { startSmtpSink } from '../support/smtp.ts';

const minutes = (n: number) => n * 60_000;
const eventUidLine = (id: string) => `UID:network-event-${id}@pathways`;

describe('networks: events in each reader’s zone, RSVP, reminders exactly once, .ics and the calendar feed', () => {
  useTestDatabase();
  let app: ReturnType<typeof testApp>;
  let sink: Awaited<ReturnType<typeof startSmtpSink>>;
  let lead: TestUser;
  let sydney: TestUser;
  let outsider: TestUser;
  let network: { id: string; name: string };
  const client = async (user: TestUser) => {
    const token = await tokenFor(user);
    return {
      post: (p: string) => supertest(app).post(p).set('Authorization', `Bearer ${token}`),
      get: (p: string) => supertest(app).get(p).set('Authorization', `Bearer ${token}`),
      delete: (p: string) => supertest(app).delete(p).set('Authorization', `Bearer ${token}`),
    };
  };
  const startsAt = '2027-03-10T09:00:00.000Z';
  const event = {
    title: 'Headship applications: an evening clinic',
    startsAt,
    durationMinutes: 60,
    mode: 'online',
    joinUrl: 'https://meet.example.org/clinic',
  };

  before(async () => {
    app = testApp();
    sink = await startSmtpSink();
    configureMailer({ smtpUrl: sink.url, from: 'Pathways <no-reply@pathways.test>' });
    lead = await buildUser({ name: 'Lina Lead', timezone: 'Europe/London' });
    sydney = await buildUser({ name: 'Sadie Sydney', timezone: 'Australia/Sydney' });
    outsider = await buildUser();
    network = await buildNetwork([lead, sydney], { leads: [lead], name: 'Headship applications' });
  });
  after(async () => {
    closeMailer();
    await sink.stop();
  });

  it('a lead creates an event (201); a member who is not a lead gets 403; bad details get 422', async () => {
    const res = await (await client(lead)).post(`/api/v1/networks/${network.id}/events`).send(event).expect(201);
    expect(res.body).to.include({ title: event.title, startsAt, goingCount: 0, going: null });
    await (await client(sydney)).post(`/api/v1/networks/${network.id}/events`).send(event).expect(403);
    const bad = await (
      await client(lead)
    )
      .post(`/api/v1/networks/${network.id}/events`)
      .send({ ...event, startsAt: '2020-01-01T09:00:00Z', joinUrl: undefined })
      .expect(422);
    expect(bad.body.errors.map((e: { path: string }) => e.path).sort()).to.deep.equal(['joinUrl', 'startsAt']);
  });

  it('a length that is not a JSON number (a list, text, true) is a 422 naming durationMinutes, as for sessions, and nothing is stored', async () => {
    const lead2 = await client(lead);
    for (const durationMinutes of [[60], '60', true])
      expect(
        (
          await lead2
            .post(`/api/v1/networks/${network.id}/events`)
            .send({ ...event, title: `Clinic ${JSON.stringify(durationMinutes)}`, durationMinutes })
            .expect(422)
        ).body.errors.map((e: { path: string }) => e.path),
        JSON.stringify(durationMinutes),
      ).to.deep.equal(['durationMinutes']);
    expect(await NetworkEventModel.countDocuments({ title: /^Clinic / })).to.equal(0);
  });

  it('a member going gets the day-before and hour-before reminders, each sent exactly once, in her zone', async () => {
    const created = await (await client(lead)).post(`/api/v1/networks/${network.id}/events`).send(event).expect(201);
    const id = created.body.id as string;
    const member = await client(sydney);
    const rsvp = await member.post(`/api/v1/events/${id}/rsvp`).send({ going: true }).expect(200);
    expect(rsvp.body).to.include({ going: true, goingCount: 1 });
    await member.post(`/api/v1/events/${id}/rsvp`).send({ going: true }).expect(200);
    expect(await NotificationModel.countDocuments({ kind: 'network-event-reminder', 'about.id': id })).to.equal(2);
    await (await client(outsider)).post(`/api/v1/events/${id}/rsvp`).send({ going: true }).expect(403);

    sink.received.length = 0;
    const dayBefore = new Date(new Date(startsAt).getTime() - minutes(1440) + 5_000);
    expect((await runDueNotifications({ ids: undefined, now: dayBefore })).sent).to.be.at.least(1);
    expect((await runDueNotifications({ now: dayBefore })).sent).to.equal(0);
    const toHer = () => sink.received.filter((m) => m.to.includes(sydney.email));
    expect(toHer()).to.have.length(1);
    // 09:00 UTC on 10 March 2027 is 20:00 in Sydney (AEDT, shown as GMT+11 as Intl's en-US names it), and the zone is named.
    expect(toHer()[0]!.raw).to.include('20:00 GMT+11 (Australia/Sydney)');
    const hourBefore = new Date(new Date(startsAt).getTime() - minutes(60) + 5_000);
    await runDueNotifications({ now: hourBefore });
    await runDueNotifications({ now: hourBefore });
    expect(toHer()).to.have.length(2);
    expect(toHer()[1]!.subject).to.match(/, in one hour$/);
  });

  it('an hour-before reminder sent late (the job was down) says how long is really left, as a session’s does', async () => {
    // A day of its own, so no other test's event is due in the same run.
    const own = '2027-03-17T09:00:00.000Z';
    const created = await (
      await client(lead)
    )
      .post(`/api/v1/networks/${network.id}/events`)
      .send({ ...event, startsAt: own })
      .expect(201);
    await (await client(sydney)).post(`/api/v1/events/${created.body.id}/rsvp`).send({ going: true }).expect(200);
    await runDueNotifications({ now: new Date(new Date(own).getTime() - minutes(1440) + 5_000) });
    sink.received.length = 0;
    const late = new Date(new Date(own).getTime() - minutes(53));
    await runDueNotifications({ now: late });
    const subjects = sink.received.filter((m) => m.to.includes(sydney.email)).map((m) => m.subject);
    expect(subjects.find((x) => x.startsWith('Reminder'))).to.match(/, in 53 minutes$/);
  });

  it('saying she is not going cancels her reminders', async () => {
    const created = await (await client(lead)).post(`/api/v1/networks/${network.id}/events`).send(event).expect(201);
    const member = await client(sydney);
    await member.post(`/api/v1/events/${created.body.id}/rsvp`).send({ going: true }).expect(200);
    const res = await member.post(`/api/v1/events/${created.body.id}/rsvp`).send({ going: false }).expect(200);
    expect(res.body).to.include({ going: false, goingCount: 0 });
    const statuses = await NotificationModel.find({ 'about.id': created.body.id }).distinct('status');
    expect(statuses).to.deep.equal(['cancelled']);
  });

  it('the event page shows the time in her zone, named; the .ics and her calendar feed carry the event', async () => {
    const created = await (await client(lead)).post(`/api/v1/networks/${network.id}/events`).send(event).expect(201);
    const id = created.body.id as string;
    await (await client(sydney)).post(`/api/v1/events/${id}/rsvp`).send({ going: true }).expect(200);
    const agent = await signIn(app, sydney.email, testPassword);
    const page = await agent.get(`/events/${id}`).expect(200);
    expect(page.text).to.include('Wednesday 10 March 2027, 20:00 GMT+11 (Australia/Sydney)');
    const ics = await agent.get(`/events/${id}/event.ics`).expect(200);
    expect(ics.text).to.include(`UID:network-event-${id}@pathways`);
    const feed = new URL(await calendarFeedUrl({ userId: sydney.id }));
    const feedRes = await supertest(app).get(feed.pathname).expect(200);
    expect(feedRes.text).to.include(`UID:network-event-${id}@pathways`);
    const outsiderAgent = await signIn(app, outsider.email, testPassword);
    await outsiderAgent.get(`/events/${id}`).expect(403);
    const londonAgent = await signIn(app, lead.email, testPassword);
    const list = await londonAgent.get(`/networks/${network.id}/events`).expect(200);
    expect(list.text).to.include('Wednesday 10 March 2027, 09:00 GMT (Europe/London)');
  });

  it('answering "going" tells her only the reminders still ahead, and an event that has ended takes no answer (409, nothing stored)', async () => {
    const soon = await NetworkEventModel.create({
      networkId: network.id,
      title: 'Coffee in half an hour',
      startsAt: new Date(Date.now() + minutes(30)),
      durationMinutes: 60,
      mode: 'online',
      joinUrl: 'https://meet.example.org/coffee',
      createdBy: lead.id,
    });
    const agent = await signIn(app, sydney.email, testPassword);
    const csrf = await csrfOf(agent, `/events/${String(soon._id)}`);
    await agent
      .post(`/events/${String(soon._id)}/rsvp`)
      .type('form')
      .send({ _csrf: csrf, going: 'yes' })
      .expect(303);
    const after = await agent.get(`/events/${String(soon._id)}`).expect(200);
    expect(after.text).to.not.include('We will remind you a day and an hour before');
    expect(after.text).to.include('It starts within the hour, so no reminder will be sent.');

    const ended = await NetworkEventModel.create({
      networkId: network.id,
      title: 'Last month’s clinic',
      startsAt: new Date(Date.now() - minutes(180)),
      durationMinutes: 60,
      mode: 'online',
      joinUrl: 'https://meet.example.org/old',
      createdBy: lead.id,
    });
    const page = await agent.get(`/events/${String(ended._id)}`).expect(200);
    expect(page.text).to.include('This event has ended.');
    expect(page.text).to.not.include('I am going');
    const res = await (
      await client(sydney)
    )
      .post(`/api/v1/events/${String(ended._id)}/rsvp`)
      .send({ going: true })
      .expect(409);
    expect(res.headers['content-type']).to.match(/application\/problem\+json/);
    expect(await EventRsvpModel.countDocuments({ eventId: ended._id })).to.equal(0);
  });

  it('an admin who is not a member reads an event but is not offered an answer she cannot give', async () => {
    const admin = await buildUser({ roles: ['admin'] });
    const created = await (await client(lead)).post(`/api/v1/networks/${network.id}/events`).send(event).expect(201);
    const agent = await signIn(app, admin.email, testPassword);
    const page = await agent.get(`/events/${created.body.id as string}`).expect(200);
    expect(page.text).to.not.include('I am going');
    expect(page.text).to.include('Only members of the network answer whether they are going.');
    const member = await signIn(app, sydney.email, testPassword);
    expect((await member.get(`/events/${created.body.id as string}`).expect(200)).text).to.include('I am going');
  });

  it('the web form refuses a start the clocks skip in her zone (422 naming it, nothing stored) and reads one they show twice as the first', async () => {
    const agent = await signIn(app, lead.email, testPassword);
    const path = `/networks/${network.id}/events`;
    const form = async (startsAtLocal: string) => ({
      _csrf: await csrfOf(agent, path),
      title: `Clinic at ${startsAtLocal}`,
      startsAtLocal,
      durationMinutes: '60',
      mode: 'online',
      joinUrl: 'https://meet.example.org/clinic',
    });
    // London, 31 March 2030: 01:00 GMT becomes 02:00 BST, so 01:30 is never shown on a London clock.
    const gap = await agent
      .post(path)
      .type('form')
      .send(await form('2030-03-31T01:30'))
      .expect(422);
    expect(gap.text).to.include('does not exist in Europe/London');
    expect(await NetworkEventModel.countDocuments({ title: 'Clinic at 2030-03-31T01:30' })).to.equal(0);
    // 27 October 2030: 01:30 comes twice (BST, then GMT); the first is meant.
    await agent
      .post(path)
      .type('form')
      .send(await form('2030-10-27T01:30'))
      .expect(303);
    const twice = await NetworkEventModel.findOne({ title: 'Clinic at 2030-10-27T01:30' }).lean();
    expect(twice!.startsAt.toISOString()).to.equal('2030-10-27T00:30:00.000Z');
  });

  it('the web form refuses a length that is not plain digits ("1e2", "0x3c", " 60") at its field, and stores nothing', async () => {
    const agent = await signIn(app, lead.email, testPassword);
    const path = `/networks/${network.id}/events`;
    for (const durationMinutes of ['1e2', '0x3c', ' 60']) {
      const refused = await agent
        .post(path)
        .type('form')
        .send({
          _csrf: await csrfOf(agent, path),
          title: `Clinic of ${durationMinutes} minutes`,
          startsAtLocal: '2030-05-14T18:00',
          durationMinutes,
          mode: 'online',
          joinUrl: 'https://meet.example.org/clinic',
        })
        .expect(422);
      expect(refused.text).to.include('must be a whole number of minutes');
      expect(refused.text).to.include(`Clinic of ${durationMinutes} minutes`);
      expect(await NetworkEventModel.countDocuments({ title: `Clinic of ${durationMinutes} minutes` })).to.equal(0);
    }
  });

  it('an event in person needs its place (422 naming location); its page and .ics give the place', async () => {
    const inPerson = { title: 'Dubai breakfast', startsAt, durationMinutes: 90, mode: 'in-person' };
    const refused = await (await client(lead)).post(`/api/v1/networks/${network.id}/events`).send(inPerson).expect(422);
    expect(refused.body.errors.map((e: { path: string }) => e.path)).to.deep.equal(['location']);
    const created = await (
      await client(lead)
    )
      .post(`/api/v1/networks/${network.id}/events`)
      .send({ ...inPerson, location: 'Jumeirah Public Library' })
      .expect(201);
    expect(created.body).to.include({ mode: 'in-person', location: 'Jumeirah Public Library', joinUrl: null });
    const agent = await signIn(app, sydney.email, testPassword);
    const page = await agent.get(`/events/${created.body.id}`).expect(200);
    expect(page.text).to.include('<dt>In person</dt><dd>Jumeirah Public Library</dd>');
    const ics = await agent.get(`/events/${created.body.id}/event.ics`).expect(200);
    expect(ics.text).to.include('LOCATION:Jumeirah Public Library');
  });

  it('a title with line breaks and separators writes no line of its own into the .ics: the calendar name is escaped as its events are', async () => {
    const title = 'Coffee, tea; and\nBEGIN:VALARM\nACTION:DISPLAY\nEND:VALARM\nORGANIZER:mailto:boss@evil.example';
    const created = await (
      await client(lead)
    )
      .post(`/api/v1/networks/${network.id}/events`)
      .send({ ...event, title })
      .expect(201);
    const agent = await signIn(app, sydney.email, testPassword);
    const ics = (await agent.get(`/events/${created.body.id}/event.ics`).expect(200)).text;
    // Content lines, long ones unfolded (RFC 5545 3.1).
    const lines = ics.replace(/\r\n[ \t]/g, '').split('\r\n');
    expect(lines.filter((l) => /^(BEGIN:VALARM|ORGANIZER:mailto:boss|ACTION:)/.test(l))).to.deep.equal([]);
    expect(lines).to.include(
      'X-WR-CALNAME:Coffee\\, tea\\; and\\nBEGIN:VALARM\\nACTION:DISPLAY\\nEND:VALARM\\nORGANIZER:mailto:boss@evil.example',
    );
  });

  it('a member removed from an approval network loses its events at once: no RSVP, page, .ics, feed or reminder', async () => {
    const removed = await buildUser({ name: 'Rana Removed', timezone: 'Asia/Dubai' });
    const closed = await buildNetwork([lead, removed], { leads: [lead], joining: 'approval' });
    const when = '2027-04-14T16:00:00.000Z';
    const created = await (
      await client(lead)
    )
      .post(`/api/v1/networks/${closed.id}/events`)
      .send({ ...event, title: 'Members only: interview practice', startsAt: when })
      .expect(201);
    const id = created.body.id as string;
    const her = await client(removed);
    await her.post(`/api/v1/events/${id}/rsvp`).send({ going: true }).expect(200);
    const agent = await signIn(app, removed.email, testPassword);
    await agent.get(`/events/${id}`).expect(200);
    const feed = new URL(await calendarFeedUrl({ userId: removed.id }));
    expect((await supertest(app).get(feed.pathname).expect(200)).text).to.include(eventUidLine(id));

    await (await client(lead)).delete(`/api/v1/networks/${closed.id}/members/${removed.id}`).expect(204);

    await her.post(`/api/v1/events/${id}/rsvp`).send({ going: true }).expect(403);
    await her.get(`/api/v1/networks/${closed.id}/events`).expect(403);
    // A network that does not exist is a 404 to her and to an admin alike, not a 403 nor an empty list.
    const unknown = `/api/v1/networks/${new Types.ObjectId().toString()}/events`;
    const missing = await her.get(unknown).expect(404);
    expect(missing.type).to.equal('application/problem+json');
    await (await client(await buildUser({ roles: ['admin'] }))).get(unknown).expect(404);
    const page = await agent.get(`/events/${id}`).expect(403);
    expect(page.text).to.not.include('Members only: interview practice');
    await agent.get(`/events/${id}/event.ics`).expect(403);
    expect((await supertest(app).get(feed.pathname).expect(200)).text).to.not.include(eventUidLine(id));

    const planned = await NotificationModel.find({ kind: 'network-event-reminder', userId: removed.id }).lean();
    expect(planned).to.have.length(2);
    const ids = planned.map((n) => n._id);
    sink.received.length = 0;
    for (const offset of [1440, 60]) {
      const now = new Date(new Date(when).getTime() - minutes(offset) + 5_000);
      expect(await runDueNotifications({ ids, now })).to.include({ sent: 0, skipped: 1 });
      await settleNotifications({ ids, now });
    }
    expect(sink.received.filter((m) => m.to.includes(removed.email))).to.have.length(0);
    const settled = await NotificationModel.find({ _id: { $in: ids } }).lean();
    expect(settled.map((n) => [n.status, n.skipReason])).to.deep.equal([
      ['skipped', 'She is no longer a member of the network.'],
      ['skipped', 'She is no longer a member of the network.'],
    ]);
  });

  it('"Going" counts current members only: one who leaves (or is removed) stops counting on the page and in the API, in every process', async () => {
    const [going1, going2, leaver, removed] = await Promise.all(
      ['Gail Going', 'Gwen Going', 'Lea Leaver', 'Rhea Removed'].map((name) => buildUser({ name })),
    );
    const returners = await buildNetwork([lead, going1!, going2!, leaver!, removed!], {
      leads: [lead],
      name: 'Returners',
    });
    const created = await (
      await client(lead)
    )
      .post(`/api/v1/networks/${returners.id}/events`)
      .send({ ...event, title: 'Returners: back to headship' })
      .expect(201);
    const id = created.body.id as string;
    for (const user of [going1!, going2!, leaver!, removed!])
      await (await client(user)).post(`/api/v1/events/${id}/rsvp`).send({ going: true }).expect(200);
    const countIn = async (otherApp: typeof app) => {
      const token = await tokenFor(lead);
      const list = await supertest(otherApp)
        .get(`/api/v1/networks/${returners.id}/events`)
        .set('Authorization', `Bearer ${token}`)
        .expect(200);
      return list.body.items.find((e: { id: string }) => e.id === id).goingCount as number;
    };
    expect(await countIn(app)).to.equal(4);

    // She leaves through one process; another process (no shared memory) answers the reads.
    await (await client(leaver!)).delete(`/api/v1/networks/${returners.id}/members/me`).expect(204);
    await (await client(lead)).delete(`/api/v1/networks/${returners.id}/members/${removed!.id}`).expect(204);
    const otherProcess = testApp();
    expect(await countIn(otherProcess)).to.equal(2);
    const rsvp = await (await client(going1!)).post(`/api/v1/events/${id}/rsvp`).send({ going: true }).expect(200);
    expect(rsvp.body).to.include({ goingCount: 2 });
    const agent = await signIn(otherProcess, lead.email, testPassword);
    expect((await agent.get(`/events/${id}`).expect(200)).text).to.include('<dt>Going</dt><dd>2</dd>');
    expect((await agent.get(`/networks/${returners.id}/events`).expect(200)).text).to.include('2 going');
    // Her answer is kept (it is hers): coming back counts her again.
    expect(await EventRsvpModel.findById(`${id}:${leaver!.id}`).lean()).to.include({ going: true });
    await (await client(leaver!)).post(`/api/v1/networks/${returners.id}/members`).send({}).expect(201);
    expect(await countIn(otherProcess)).to.equal(3);
  });

  it('answering "not going" and "going" at once (two processes) leaves her going with both reminders planned', async () => {
    const member = await buildUser({ name: 'Tia Twotabs' });
    const own = await buildNetwork([lead, member], { leads: [lead] });
    const created = await (
      await client(lead)
    )
      .post(`/api/v1/networks/${own.id}/events`)
      .send({ ...event, title: 'Two answers at once' })
      .expect(201);
    const eventId = created.body.id as string;
    const scheduled = () =>
      NotificationModel.countDocuments({ kind: 'network-event-reminder', 'about.id': eventId, status: 'scheduled' });

    // "Not going" writes her answer first, then stalls before it cancels; "going" writes after it and plans.
    const held = holdNextCall(EventRsvpModel, 'updateOne', {
      when: (args) => (args[1] as { $set?: { going?: boolean } }).$set?.going === false,
    });
    try {
      const notGoing = rsvpToEvent({ actor: member, eventId, going: false });
      await held.reached;
      held.restore();
      await rsvpToEvent({ actor: member, eventId, going: true });
      expect(await scheduled()).to.equal(2);
      held.release();
      await notGoing;
    } finally {
      held.release();
      held.restore();
    }
    expect(await EventRsvpModel.findById(`${eventId}:${member.id}`).lean()).to.include({ going: true });
    expect(await scheduled()).to.equal(2);
  });

  it('"Going" does not count a member whose account an admin disabled (as the member count does not), and counts her again once enabled', async () => {
    const admin = await buildUser({ roles: ['admin'] });
    const [gail, dana] = await Promise.all(['Gail Going', 'Dana Disabled'].map((name) => buildUser({ name })));
    const net = await buildNetwork([lead, gail!, dana!], { leads: [lead] });
    const created = await (
      await client(lead)
    )
      .post(`/api/v1/networks/${net.id}/events`)
      .send({ ...event, title: 'Governors: first interviews' })
      .expect(201);
    const id = created.body.id as string;
    for (const user of [gail!, dana!])
      await (await client(user)).post(`/api/v1/events/${id}/rsvp`).send({ going: true }).expect(200);
    const status = (status: 'disabled' | 'active') =>
      updateUserAsAdmin({ actor: { id: admin.id, name: admin.name }, userId: dana!.id, changes: { status } });
    const going = async () => {
      const list = await (await client(lead)).get(`/api/v1/networks/${net.id}/events`).expect(200);
      return list.body.items.find((e: { id: string }) => e.id === id).goingCount as number;
    };
    expect(await going()).to.equal(2);
    await status('disabled');
    expect(await going()).to.equal(1);
    await status('active');
    expect(await going()).to.equal(2);
  });
});
