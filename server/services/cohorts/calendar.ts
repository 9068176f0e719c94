import ical, { ICalCalendarMethod, ICalEventStatus } from 'ical-generator';
import { Types } from 'mongoose';
import type { Cohort } from '../../../models/Cohort.ts';
import { CohortModel } from '../../../models/Cohort.ts';
import { CohortSessionModel, type CohortSession } from '../../../models/CohortSession.ts';
import { UserModel } from '../../../models/User.ts';
import { NotFoundError } from '../../errors.ts';
import { absoluteUrl } from '../../settings.ts';
import { newSecret, openSecretOrNull, sameSecret, sealSecret } from '../secrets.ts';
import { addEventsToCalendar, eventsGoingTo } from '../networks/events.ts';
import { enrolledCohortIds } from './enrolment.ts';
import { loadVisibleSession, sessionEnd } from './sessions.ts';
import { calendarName, icsFile } from '../../icsText.ts';
import { fileNameOf } from '../../fileNames.ts';

const messages = {
  feedNotFound: 'This calendar address is not valid any more. Copy the new one from your Calendar page in Pathways.',
};

/** Events keep this UID for life, so a calendar app updates the same event on every change (with SEQUENCE). */
export const sessionUid = (sessionId: string | Types.ObjectId): string => `session-${String(sessionId)}@pathways`;

function calendarOf(
  name: string,
  sessions: CohortSession[],
  cohorts: Map<string, Pick<Cohort, 'name'>>,
  networkEvents?: Awaited<ReturnType<typeof eventsGoingTo>>,
): string {
  const calendar = ical({
    name: calendarName(name),
    prodId: { company: 'Pathways', product: 'Pathways sessions', language: 'EN' },
    method: ICalCalendarMethod.PUBLISH,
    ttl: 60 * 60,
  });
  for (const s of sessions) {
    const where = s.mode === 'online' ? (s.joinUrl ?? '') : (s.location ?? '');
    // An online session whose link the reader may not have (loadVisibleSession) says only that it is online.
    const place = s.mode === 'online' ? (where ? `Join online: ${where}` : 'Online') : `In person: ${where}`;
    calendar.createEvent({
      id: sessionUid(s._id),
      sequence: s.sequence,
      start: s.startsAt,
      end: sessionEnd(s),
      // Times go out in UTC; every calendar app shows them in its reader's own zone.
      summary: `${s.title} (${cohorts.get(String(s.cohortId))?.name ?? 'Pathways'})`,
      description: `${place}\n\nDetails: ${absoluteUrl(`/sessions/${String(s._id)}`)}`,
      location: where || null,
      url: absoluteUrl(`/sessions/${String(s._id)}`),
      status: s.status === 'cancelled' ? ICalEventStatus.CANCELLED : ICalEventStatus.CONFIRMED,
      stamp: s.updatedAt ?? new Date(),
      lastModified: s.updatedAt ?? null,
    });
  }
  // Network events she said she is going to (issue 14), with their own UIDs.
  if (networkEvents) addEventsToCalendar(calendar, networkEvents.events, networkEvents.networkNames);
  return icsFile(calendar);
}

/** One session as an .ics file (anyone who may see the session). */
export async function sessionIcs(props: {
  actor: Express.User;
  sessionId: string;
}): Promise<{ filename: string; body: string }> {
  const { session, cohort } = await loadVisibleSession(props);
  const body = calendarOf(session.title, [session], new Map([[String(cohort._id), cohort]]));
  return {
    filename: fileNameOf(session.title, 'ics', 'session'),
    body,
  };
}

/** Feed addresses read `<userId>_<secret>`: the id finds her, the secret proves the address is hers. */
const feedToken = /^([0-9a-f]{24})_([A-Za-z0-9_-]{20,100})$/;

/** What her feed secret is sealed to (SECRETS_ENCRYPTION_KEY, ../secrets.ts): her own, for her calendar. */
const feedSecretContext = (userId: unknown) => `calendar:${String(userId)}`;

/** The secret in her stored token, or null when there is none or the configured key does not open it. */
const storedFeedSecret = (user: { _id: unknown; calendarToken?: string | null }): string | null =>
  user.calendarToken ? openSecretOrNull(user.calendarToken, feedSecretContext(user._id)) : null;

async function feedOwner(token: string) {
  const match = feedToken.exec(token);
  if (!match) return null;
  const user = await UserModel.findById(match[1], { name: 1, status: 1, roles: 1, calendarToken: 1 }).lean();
  const secret = user?.status === 'active' ? storedFeedSecret(user) : null;
  return secret && sameSecret(match[2]!, secret) ? user : null;
}

const newFeedToken = (userId: unknown) => sealSecret(newSecret(24), feedSecretContext(userId));

/**
 * The private feed behind a secret URL: the sessions of the cohorts she is enrolled in or runs, from 90 days ago
 * on (cancelled ones included, so subscribed calendars remove them). No sign-in: the token is the credential.
 * Calendar apps poll it: her enrolments, then the sessions of her cohorts, each one indexed query.
 */
export async function calendarFeed(props: { token: string; now: Date }): Promise<string> {
  const user = await feedOwner(props.token);
  if (!user) throw new NotFoundError(messages.feedNotFound);
  // The cohorts she runs: named on them while she is a facilitator (canRunCohort); named but with the role taken
  // away, their sessions (and join links) leave her feed, as their registers left her pages.
  const runsAny = user.roles.some((role) => role === 'facilitator' || role === 'admin');
  const runs = runsAny ? await CohortModel.find({ facilitatorIds: user._id }, { _id: 1 }).lean() : [];
  const cohortIds = [
    ...new Set([...(await enrolledCohortIds(String(user._id))), ...runs.map((c) => c._id)].map(String)),
  ];
  const since = props.now.getTime() - 90 * 24 * 60 * 60 * 1000;
  const [sessions, cohorts, networkEvents] = await Promise.all([
    CohortSessionModel.find({ cohortId: { $in: cohortIds }, startsAt: { $gte: new Date(since) } })
      .sort({ startsAt: 1 })
      .limit(2000)
      .lean<CohortSession[]>(),
    CohortModel.find({ _id: { $in: cohortIds } }, { name: 1 }).lean(),
    eventsGoingTo(user._id, new Date(since)),
  ]);
  return calendarOf(
    `Pathways — ${user.name}`,
    sessions,
    new Map(cohorts.map((c) => [String(c._id), c])),
    networkEvents,
  );
}

/** Her feed URL, creating the secret on first use. */
export async function calendarFeedUrl(props: { userId: string }): Promise<string> {
  const user = await UserModel.findById(props.userId, { calendarToken: 1 }).lean();
  if (!user) throw new NotFoundError();
  let secret = storedFeedSecret(user);
  if (!secret) {
    // None yet (or one the configured key no longer opens): a new one, unless another request just made one.
    await UserModel.updateOne(
      { _id: user._id, calendarToken: user.calendarToken ? user.calendarToken : { $in: [null, ''] } },
      { $set: { calendarToken: newFeedToken(user._id) } },
    );
    secret = storedFeedSecret((await UserModel.findById(props.userId, { calendarToken: 1 }).lean())!)!;
  }
  return absoluteUrl(`/calendar/${String(user._id)}_${secret}.ics`);
}

/** A new secret: the old address stops working at once (e.g. after sharing it by mistake). */
export async function rotateCalendarToken(props: { userId: string }): Promise<string> {
  await UserModel.updateOne({ _id: props.userId }, { $set: { calendarToken: newFeedToken(props.userId) } });
  return calendarFeedUrl(props);
}
