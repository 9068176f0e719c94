import type { Request, Response, Router } from 'express';
import { DateTime } from 'luxon';
import { z } from 'zod';
import { requireSignIn } from '../server/auth.ts';
import { apiOperation } from '../server/http/api.ts';
import { parseForm } from '../server/http/forms.ts';
import { isoDate, wholeNumberParam } from '../server/http/validate.ts';
import { meetingTimesFor } from '../server/services/networks/findATime.ts';
import {
  heatMapOf,
  isOverEverywhere,
  meetingTimeLimits,
  startMinutesOf,
} from '../server/services/networks/meetingTimes.ts';
import { formatDateTime } from '../server/time.ts';

const { minDuration, maxDuration, minDays, maxDays } = meetingTimeLimits;

const messages = {
  fromOver: 'must be today or later: that day is over in every time zone',
};

export const meetingTimesQuery = z.strictObject({
  durationMinutes: wholeNumberParam({
    min: minDuration,
    max: maxDuration,
    notWhole: 'must be a whole number of minutes',
    tooSmall: `must be at least ${minDuration} minutes`,
    tooBig: `must be at most ${maxDuration} minutes`,
  }),
  // Read against the clock at each request: a day over everywhere has no start left to rank.
  from: isoDate.refine((date) => !isOverEverywhere(date, new Date()), { message: messages.fromOver }),
  days: wholeNumberParam({
    min: minDays,
    max: maxDays,
    notWhole: 'must be a whole number of days',
    tooSmall: `must be at least ${minDays}`,
    tooBig: `must be at most ${maxDays}`,
  }),
});

const candidateOut = z.object({
  startsAt: z.string(),
  inWakingHours: z.number(),
  members: z.number(),
  share: z.number(),
});

/** How many of the best candidates the page lists in its table (the heat map shows all of them). */
const tableSize = 10;

async function findATimePage(req: Request, res: Response) {
  const asked = Object.keys(req.query).length > 0;
  const defaults = { durationMinutes: '60', from: DateTime.utc().plus({ days: 1 }).toISODate(), days: '7' };
  const values = asked ? { ...defaults, ...(req.query as Record<string, string>) } : defaults;
  const form = parseForm(meetingTimesQuery, values);
  const zone = req.user!.timezone;
  // The network and the lead check come first, so a non-lead sees 403 whatever she typed.
  const props = form.ok ? form.data : { durationMinutes: 60, from: defaults.from, days: 1 };
  const result = await meetingTimesFor({ actor: req.user!, networkId: String(req.params.id), ...props });
  const heatMap = form.ok ? heatMapOf(result.items, zone) : [];
  res.status(form.ok ? 200 : 422).render('networks/find-a-time', {
    title: `Find a time · ${result.network.name}`,
    network: result.network,
    values,
    zone,
    errors: form.ok ? {} : form.errors,
    errorList: form.ok ? [] : form.list,
    best: form.ok
      ? result.items.slice(0, tableSize).map((i) => ({ ...i, when: formatDateTime(i.startsAt, zone) }))
      : [],
    heatMap,
    startMinutes: startMinutesOf(heatMap),
    members: result.items[0]?.members ?? 0,
    duration: props.durationMinutes,
  });
}

export function registerMeetingTimeRoutes(web: Router, api: Router): void {
  apiOperation(
    api,
    {
      method: 'get',
      path: '/networks/:id/meeting-times',
      tag: 'networks',
      summary: 'Find a time: hourly starts ranked by members inside 08:00–21:00 of their own day (leads, admins)',
      access: [],
      query: meetingTimesQuery,
      success: {
        status: 200,
        description: 'Candidates still ahead, best first',
        schema: z.object({ items: z.array(candidateOut) }),
      },
    },
    async ({ user, params, query }) => {
      const { items } = await meetingTimesFor({ actor: user, networkId: params.id!, ...query });
      return { items: items.map((i) => ({ ...i, startsAt: i.startsAt.toISOString() })) };
    },
  );
  web.get('/networks/:id/find-a-time', requireSignIn, findATimePage);
}
