import type { Request, Response, Router } from 'express';
import { z } from 'zod';
import { networkJoinings, networkKinds } from '../models/Network.ts';
import { postKinds } from '../models/NetworkPost.ts';
import { countries, countryName, isCountryCode } from '../server/countries.ts';
import { requireRole, requireSignIn } from '../server/auth.ts';
import { apiOperation } from '../server/http/api.ts';
import { ConflictError, ForbiddenError, NotFoundError, type FieldError } from '../server/errors.ts';
import { confirmFirst, dialogText, type Confirmation } from '../server/http/confirmFirst.ts';
import { flash } from '../server/http/flash.ts';
import { formBody, formErrorsFrom, formRefusalFrom, parseFilters, parseForm } from '../server/http/forms.ts';
import { objectId, optionalText, paging, text } from '../server/http/validate.ts';
import { versionForForm, versionFromForm } from '../server/versions.ts';
import { clientSubmissionKey } from '../server/http/submissionKey.ts';
import {
  approveMember,
  cohortChoices,
  findNetwork,
  networkFrontPage,
  pageMembersOf,
  networksOf,
  postTextLimits,
  reportsOf,
  showPost,
  updateNetwork,
  createNetwork,
  createPost,
  listPosts,
  NoLongerMemberError,
  replyToPost,
  reportPost,
  reportReply,
  setPostHidden,
  setReplyHidden,
  postIdOfReply,
  joinNetwork,
  joinsAtOnce,
  leaveNetwork,
  leavingToConfirm,
  listNetworks,
  pageNetworks,
  presentNetwork,
  removalToConfirm,
  removeMember,
  makeLead,
  setLeads,
  stepDownLead,
  type MemberRow,
} from '../server/services/networks/index.ts';

export const networkSchema = z.strictObject({
  name: text(120),
  kind: z.enum(networkKinds),
  description: optionalText(4000).default(''),
  country: z
    .string()
    .trim()
    .toUpperCase()
    .regex(/^[A-Z]{2}$/, 'must be a two-letter country code')
    .optional(),
  region: optionalText(120).optional(),
  joining: z.enum(networkJoinings),
});
const listFilter = {
  kind: z.enum(networkKinds).optional(),
  country: z
    .string()
    .trim()
    .toUpperCase()
    .refine(isCountryCode, 'must be an ISO 3166-1 alpha-2 country code')
    .optional(),
  q: z.string().trim().max(200).optional(),
};
/** The browse page's filter (all on one page, by name). */
const listQuery = z.strictObject(listFilter);
/** The API's list: the same filter with API.md's paging. */
const apiListQuery = z.strictObject({ ...listFilter, ...paging });
const leadsSchema = z.strictObject({
  userIds: z.array(objectId).min(1).max(20),
  /** The network's `leadsVersion` she read: sent, leads changed since are a 409 (without it, the last write wins). */
  leadsVersion: z.number().int().min(0).nullable().optional(),
});

export const postSchema = z.strictObject({
  kind: z.enum(postKinds),
  title: text(postTextLimits.title),
  body: text(postTextLimits.postBody),
});
export const replySchema = z.strictObject({ body: text(postTextLimits.replyBody) });
export const reportSchema = z.strictObject({ reason: text(1000) });
/** Hiding a post or a reply, or showing it again: a reason is required to hide. */
const hidingSchema = (what: 'post' | 'reply') =>
  z
    .strictObject({ hidden: z.boolean(), reason: optionalText(500).optional() })
    .refine((v) => !v.hidden || !!v.reason, { path: ['reason'], message: `is required when hiding a ${what}` });
export const hideSchema = hidingSchema('post');
const hideReplySchema = hidingSchema('reply');
const postsQuery = z.strictObject(paging);
/** The members page: which list (members unless it names the requests), a name to look for, and the page. */
const membersQuery = z.object({
  status: z.enum(['member', 'requested']).catch('member'),
  q: z.string().trim().max(100, 'is too long: search with at most 100 characters of a name').optional(),
  cursor: paging.cursor,
});
type MembersQuery = z.output<typeof membersQuery>;
/** Members on one page of the members list, and waiting requests shown on the network's page itself. */
const membersPageSize = 50;
const requestsOnNetworkPage = 10;
/** The newest reports on the network's page; every report is on its reports page, a page at a time. */
const reportsOnNetworkPage = 10;
const reportsPageSize = 50;

const authorOut = z.object({ id: z.string().nullable(), name: z.string() });
const postOut = z.object({
  id: z.string(),
  networkId: z.string(),
  kind: z.enum(postKinds),
  title: z.string(),
  body: z.string(),
  bodyHtml: z.string(),
  author: authorOut,
  replyCount: z.number(),
  createdAt: z.string(),
  hidden: z.boolean(),
  hiddenReason: z.string().optional(),
});
/** A hidden reply keeps its place: to readers it has no body and no author; those who moderate get its reason. */
const replyOut = z.object({
  id: z.string(),
  postId: z.string(),
  body: z.string(),
  bodyHtml: z.string(),
  author: authorOut,
  createdAt: z.string(),
  hidden: z.boolean(),
  hiddenReason: z.string().optional(),
});

const networkOut = z.object({
  id: z.string(),
  name: z.string(),
  kind: z.enum(networkKinds),
  description: z.string(),
  country: z.string().nullable(),
  region: z.string().nullable(),
  joining: z.enum(networkJoinings),
  memberCount: z.number(),
  /** Who leads it, as a version: sent back with `PUT .../leads`, a change of leads since is a 409. */
  leadsVersion: z.number().nullable(),
});

export function registerNetworkRoutes(web: Router, api: Router): void {
  apiOperation(
    api,
    {
      method: 'post',
      path: '/networks',
      tag: 'networks',
      summary: 'Create a network (admins)',
      access: ['admin'],
      body: networkSchema,
      success: { status: 201, description: 'The network', schema: networkOut },
      errors: [409],
      idempotent: true,
    },
    async ({ user, body, req }) =>
      presentNetwork(await createNetwork({ actor: user, ...body, submissionKey: clientSubmissionKey(req) })),
  );
  apiOperation(
    api,
    {
      method: 'get',
      path: '/networks',
      tag: 'networks',
      summary: 'Networks by kind, country and words, with member counts',
      access: [],
      query: apiListQuery,
      success: {
        status: 200,
        description: 'A page of networks, in the order they were created; nextCursor gives the next page',
        schema: z.object({ items: z.array(networkOut), nextCursor: z.string().nullable() }),
      },
    },
    async ({ query }) => {
      const page = await pageNetworks(query);
      return { items: page.items.map(presentNetwork), nextCursor: page.nextCursor };
    },
  );
  apiOperation(
    api,
    {
      method: 'put',
      path: '/networks/:id/leads',
      tag: 'networks',
      summary: "Name a network's leads (admins)",
      access: ['admin'],
      body: leadsSchema,
      success: { status: 204, description: 'Leads named' },
      errors: [409],
    },
    async ({ user, params, body }) =>
      void (await setLeads({
        actor: user,
        networkId: params.id!,
        userIds: body.userIds,
        expectedVersion: body.leadsVersion,
      })),
  );
  apiOperation(
    api,
    {
      method: 'post',
      path: '/networks/:id/members',
      tag: 'networks',
      summary: 'Join an open network, or ask to join an approval network',
      access: [],
      body: z.strictObject({}),
      success: {
        status: 201,
        description: 'Your membership',
        schema: z.object({ status: z.enum(['member', 'requested']) }),
      },
    },
    async ({ user, params }) => joinNetwork({ actor: user, networkId: params.id! }),
  );
  // Before '/members/:userId', so "me" is never read as an id.
  apiOperation(
    api,
    {
      method: 'delete',
      path: '/networks/:id/members/me',
      tag: 'networks',
      summary: 'Leave a network (or withdraw your request)',
      access: [],
      success: { status: 204, description: 'Left' },
      errors: [409],
    },
    async ({ user, params }) => void (await leaveNetwork({ actor: user, networkId: params.id! })),
  );
  apiOperation(
    api,
    {
      method: 'post',
      path: '/networks/:id/members/:userId/approve',
      tag: 'networks',
      summary: 'Approve a request to join (leads, admins)',
      access: [],
      success: { status: 204, description: 'She is a member' },
    },
    async ({ user, params }) =>
      void (await approveMember({ actor: user, networkId: params.id!, userId: params.userId! })),
  );
  apiOperation(
    api,
    {
      method: 'delete',
      path: '/networks/:id/members/:userId',
      tag: 'networks',
      summary: 'Remove a member or decline a request (leads, admins); she loses access at once',
      access: [],
      success: { status: 204, description: 'Removed' },
      errors: [409],
    },
    async ({ user, params }) =>
      void (await removeMember({ actor: user, networkId: params.id!, userId: params.userId! })),
  );
  apiOperation(
    api,
    {
      method: 'post',
      path: '/networks/:id/posts',
      tag: 'networks',
      idempotent: true,
      summary: 'Post a story or question (members) or an announcement (leads)',
      access: [],
      body: postSchema,
      success: { status: 201, description: 'The post', schema: postOut },
      errors: [429],
    },
    async ({ user, params, body, req }) =>
      createPost({ actor: user, networkId: params.id!, ...body, submissionKey: clientSubmissionKey(req) }),
  );
  apiOperation(
    api,
    {
      method: 'get',
      path: '/networks/:id/posts',
      tag: 'networks',
      summary: "A network's posts, newest first (members; for an open network anyone signed in)",
      access: [],
      query: postsQuery,
      success: {
        status: 200,
        description: 'Posts',
        schema: z.object({ items: z.array(postOut), nextCursor: z.string().nullable() }),
      },
    },
    async ({ user, params, query }) => {
      const { items, nextCursor } = await listPosts({ actor: user, networkId: params.id!, ...query });
      return { items, nextCursor };
    },
  );
  apiOperation(
    api,
    {
      method: 'post',
      path: '/posts/:id/replies',
      tag: 'networks',
      idempotent: true,
      summary: 'Reply to a post (members of its network)',
      access: [],
      body: replySchema,
      success: { status: 201, description: 'The reply', schema: replyOut },
      errors: [429],
    },
    async ({ user, params, body, req }) =>
      replyToPost({ actor: user, postId: params.id!, ...body, submissionKey: clientSubmissionKey(req) }),
  );
  apiOperation(
    api,
    {
      method: 'post',
      path: '/posts/:id/report',
      tag: 'networks',
      summary: "Report a post to its network's leads and the admins (20 new reports an hour)",
      access: [],
      body: reportSchema,
      errors: [429],
      success: {
        status: 201,
        description: 'The report',
        schema: z.object({ id: z.string(), postId: z.string(), reason: z.string() }),
      },
    },
    async ({ user, params, body }) => reportPost({ actor: user, postId: params.id!, ...body }),
  );
  apiOperation(
    api,
    {
      method: 'patch',
      path: '/posts/:id',
      tag: 'networks',
      summary: 'Hide a post with a reason, or show it again (leads, admins; audited)',
      access: [],
      body: hideSchema,
      success: { status: 200, description: 'The post', schema: postOut },
    },
    async ({ user, params, body, req }) => setPostHidden({ actor: user, postId: params.id!, ...body, ip: req.ip }),
  );
  apiOperation(
    api,
    {
      method: 'post',
      path: '/replies/:id/report',
      tag: 'networks',
      summary: "Report a reply to its network's leads and the admins (counted with reports of posts)",
      access: [],
      body: reportSchema,
      errors: [429],
      success: {
        status: 201,
        description: 'The report',
        schema: z.object({ id: z.string(), postId: z.string(), replyId: z.string(), reason: z.string() }),
      },
    },
    async ({ user, params, body }) => reportReply({ actor: user, replyId: params.id!, ...body }),
  );
  apiOperation(
    api,
    {
      method: 'patch',
      path: '/replies/:id',
      tag: 'networks',
      summary: 'Hide a reply with a reason, or show it again (leads, admins; audited)',
      access: [],
      body: hideReplySchema,
      success: { status: 200, description: 'The reply', schema: replyOut },
    },
    async ({ user, params, body, req }) => setReplyHidden({ actor: user, replyId: params.id!, ...body, ip: req.ip }),
  );

  web.get('/networks', requireSignIn, browsePage);
  web.get('/networks/new', requireRole('admin'), (req, res) => formPage(req, res));
  web.post('/networks', requireRole('admin'), async (req, res) => {
    const form = parseForm(networkFormSchema, formBody(req));
    if (!form.ok) return formPage(req, res, { status: 422, errors: form.errors, errorList: form.list });
    const { linkedCohortIds, ...input } = form.data;
    try {
      const network = await createNetwork({ actor: req.user!, ...input, submissionKey: clientSubmissionKey(req) });
      if (linkedCohortIds.length)
        await updateNetwork({ actor: req.user!, networkId: String(network._id), ...input, linkedCohortIds });
      flash(req, 'success', messages.created(network.name));
      res.redirect(303, `/networks/${String(network._id)}`);
    } catch (error) {
      const { status, errors, list } = formErrorsFrom(error);
      return formPage(req, res, { status, errors, errorList: list });
    }
  });
  web.get('/networks/:id', requireSignIn, (req, res) => networkPage(req, res));
  web.get('/networks/:id/members', requireSignIn, membersPage);
  web.get('/networks/:id/reports', requireSignIn, reportsPage);
  web.get('/networks/:id/edit', requireRole('admin'), async (req, res) => {
    const n = await findNetwork(String(req.params.id));
    formPage(req, res, {
      network: presentNetwork(n),
      values: { ...presentNetwork(n), linkedCohortIds: (n.linkedCohortIds ?? []).map(String) },
      // The version she opens it at goes with the form: a save by someone else meanwhile is a 409, never undone.
      version: versionForForm(n.version),
    });
  });
  web.post('/networks/:id', requireRole('admin'), async (req, res) => {
    const network = presentNetwork(await findNetwork(String(req.params.id)));
    // Sent back, a refused form keeps the version she opened, so a save by someone else meanwhile is still noticed.
    const { version, ...body } = formBody(req);
    const form = parseForm(networkFormSchema, body);
    if (!form.ok)
      return formPage(req, res, { status: 422, network, version, errors: form.errors, errorList: form.list });
    try {
      await updateNetwork({
        actor: req.user!,
        networkId: network.id,
        ...form.data,
        expectedVersion: versionFromForm(version),
      });
    } catch (error) {
      // Saved by someone else since she opened it: her changes come back unsaved, with the version now stored, so
      // that sending them again (knowing) replaces the other changes.
      if (error instanceof ConflictError && !error.errors.length) {
        const latest = await findNetwork(network.id);
        return formPage(req, res, {
          status: 409,
          network: presentNetwork(latest),
          version: versionForForm(latest.version),
          errorList: [{ path: '(network)', message: error.message }],
        });
      }
      const { status, errors, list } = formErrorsFrom(error);
      return formPage(req, res, { status, network, version, errors, errorList: list });
    }
    flash(req, 'success', messages.saved);
    res.redirect(303, `/networks/${network.id}`);
  });
  web.post('/networks/:id/join', requireSignIn, async (req, res) => {
    const { status } = await joinNetwork({ actor: req.user!, networkId: String(req.params.id) });
    flash(req, 'success', status === 'member' ? messages.joined : messages.requested);
    res.redirect(303, `/networks/${String(req.params.id)}`);
  });
  web.post('/networks/:id/leave', requireSignIn, confirmLeave, async (req, res) => {
    await leaveNetwork({ actor: req.user!, networkId: String(req.params.id) });
    flash(req, 'success', messages.left);
    res.redirect(303, `/networks/${String(req.params.id)}`);
  });
  web.post('/networks/:id/members/:userId/approve', requireSignIn, async (req, res) => {
    await approveMember({ actor: req.user!, networkId: String(req.params.id), userId: String(req.params.userId) });
    flash(req, 'success', messages.approved);
    res.redirect(303, backAfterAnswer(req, 'requested'));
  });
  web.post('/networks/:id/members/:userId/lead', requireRole('admin'), async (req, res) => {
    await makeLead({ actor: req.user!, networkId: String(req.params.id), userId: String(req.params.userId) });
    flash(req, 'success', messages.madeLead);
    res.redirect(303, backAfterAnswer(req, 'member'));
  });
  web.post('/networks/:id/members/:userId/step-down', requireRole('admin'), async (req, res) => {
    await stepDownLead({ actor: req.user!, networkId: String(req.params.id), userId: String(req.params.userId) });
    flash(req, 'success', messages.steppedDown);
    res.redirect(303, backAfterAnswer(req, 'member'));
  });
  web.post('/networks/:id/members/:userId/remove', requireSignIn, confirmRemove, async (req, res) => {
    await removeMember({
      actor: req.user!,
      networkId: String(req.params.id),
      userId: String(req.params.userId),
      seen: seenOnPage(req),
    });
    flash(req, 'success', messages.removed);
    res.redirect(303, backAfterAnswer(req, seenOnPage(req) ?? 'member'));
  });
  web.post('/networks/:id/posts', requireSignIn, async (req, res) => {
    const form = parseForm(postSchema, formBody(req));
    if (!form.ok) return networkPage(req, res, 422, keptForm('post', req, form));
    let post;
    try {
      post = await createPost({
        actor: req.user!,
        networkId: String(req.params.id),
        ...form.data,
        submissionKey: clientSubmissionKey(req),
      });
    } catch (error) {
      // An announcement is refused for its kind (she is not a lead); any other post for where she writes it.
      const refusal = writingRefusal(error, res, form.data.kind === 'announcement' ? 'kind' : 'body');
      return networkPage(req, res, refusal.status, keptForm('post', req, refusal));
    }
    flash(req, 'success', messages.posted);
    res.redirect(303, `/posts/${post.id}`);
  });
  web.get('/posts/:id', requireSignIn, (req, res) => postPage(req, res));
  web.post('/posts/:id/replies', requireSignIn, async (req, res) => {
    const form = parseForm(replySchema, formBody(req));
    if (!form.ok) return postPage(req, res, 422, keptForm('reply', req, form));
    try {
      await replyToPost({
        actor: req.user!,
        postId: String(req.params.id),
        ...form.data,
        submissionKey: clientSubmissionKey(req),
      });
    } catch (error) {
      if (error instanceof NoLongerMemberError) return keptReplyPage(req, res, error);
      const refusal = writingRefusal(error, res, 'body');
      return postPage(req, res, refusal.status, keptForm('reply', req, refusal));
    }
    flash(req, 'success', messages.replied);
    res.redirect(303, `/posts/${String(req.params.id)}#replies-heading`);
  });
  web.post('/posts/:id/report', requireSignIn, async (req, res) => {
    const form = parseForm(reportSchema, formBody(req));
    if (!form.ok) return postPage(req, res, 422, keptForm('report', req, form));
    try {
      await reportPost({ actor: req.user!, postId: String(req.params.id), ...form.data });
    } catch (error) {
      // Too many reports this hour: her reason stays in the form, with the refusal at it (429).
      const refusal = formRefusalFrom(error, res, 'reason');
      return postPage(req, res, refusal.status, keptForm('report', req, refusal));
    }
    flash(req, 'success', messages.reported);
    res.redirect(303, `/posts/${String(req.params.id)}`);
  });
  web.post('/posts/:id/hide', requireSignIn, async (req, res) => {
    const form = parseForm(z.object({ hideReason: text(500) }), formBody(req));
    if (!form.ok) return postPage(req, res, 422, keptForm('hide', req, form));
    const post = await setPostHidden({
      actor: req.user!,
      postId: String(req.params.id),
      hidden: true,
      reason: form.data.hideReason,
      ip: req.ip,
    });
    flash(req, 'success', messages.hidden);
    res.redirect(303, `/networks/${post.networkId}`);
  });
  // A reply's forms sit on its post's page: a refusal draws that page again, with the errors at that reply's form.
  web.post('/replies/:id/report', requireSignIn, async (req, res) => {
    const replyId = String(req.params.id);
    const form = parseForm(reportSchema, formBody(req));
    if (!form.ok) return replyFormRefused(req, res, replyId, 422, keptForm('replyReport', req, form));
    let reported;
    try {
      reported = await reportReply({ actor: req.user!, replyId, ...form.data });
    } catch (error) {
      const refusal = formRefusalFrom(error, res, 'reason');
      return replyFormRefused(req, res, replyId, refusal.status, keptForm('replyReport', req, refusal));
    }
    flash(req, 'success', messages.reported);
    res.redirect(303, `/posts/${reported.postId}#reply-${replyId}`);
  });
  web.post('/replies/:id/hide', requireSignIn, async (req, res) => {
    const replyId = String(req.params.id);
    const form = parseForm(z.object({ hideReason: text(500) }), formBody(req));
    if (!form.ok) return replyFormRefused(req, res, replyId, 422, keptForm('replyHide', req, form));
    const reply = await setReplyHidden({
      actor: req.user!,
      replyId,
      hidden: true,
      reason: form.data.hideReason,
      ip: req.ip,
    });
    flash(req, 'success', messages.replyHidden);
    res.redirect(303, `/posts/${reply.postId}#reply-${replyId}`);
  });
  web.post('/replies/:id/show', requireSignIn, async (req, res) => {
    const reply = await setReplyHidden({ actor: req.user!, replyId: String(req.params.id), hidden: false, ip: req.ip });
    flash(req, 'success', messages.replyShown);
    res.redirect(303, `/posts/${reply.postId}#reply-${reply.id}`);
  });
  web.post('/posts/:id/show', requireSignIn, async (req, res) => {
    await setPostHidden({ actor: req.user!, postId: String(req.params.id), hidden: false, ip: req.ip });
    flash(req, 'success', messages.shown);
    res.redirect(303, `/posts/${String(req.params.id)}`);
  });
}

const messages = {
  created: (name: string) => `${name} was created.`,
  saved: 'The network’s details were saved.',
  joined: 'Welcome: you are a member of the network.',
  requested: 'Your request was sent to the network’s leads.',
  left: 'You are no longer in this network.',
  approved: 'She is now a member.',
  madeLead: 'She is now a lead of the network.',
  steppedDown: 'She is no longer a lead; she stays a member of the network.',
  removed: 'Removed.',
  posted: 'Your post is in the network.',
  replied: 'Your reply was posted.',
  reported: 'Thank you: the network’s leads and the admins will look at it.',
  hidden: 'The post is hidden from members.',
  replyHidden: 'The reply is hidden from members.',
  replyShown: 'The reply is shown again.',
  shown: 'The post is visible again.',
  replyNotPosted: 'Your reply was not posted',
  replyKept: 'Nothing was saved. Here is what you wrote: copy it to keep it.',
  // Asked before she leaves, on the confirmation page and in the form's dialog (server/http/confirmFirst.ts).
  confirmLeave: (n: { name: string; openToAll: boolean; requested: boolean }): Omit<Confirmation, 'back'> =>
    n.requested
      ? {
          question: `Withdraw your request to join “${n.name}”?`,
          consequences: ['The network’s leads no longer see it: to join later, you ask again.'],
          yes: 'Yes, withdraw my request',
        }
      : {
          question: `Leave the network “${n.name}”?`,
          consequences: [
            n.openToAll
              ? 'You no longer read or post in it, and its emails stop. You can join again at any time.'
              : 'You no longer read or post in it, and its emails stop. To come back, you ask to join and a lead approves.',
          ],
          yes: 'Yes, leave the network',
        },
  // Asked before a lead removes a member or declines a request, on the page and in the form's dialog.
  confirmRemove: (p: { name: string; networkName: string; requested: boolean }): Omit<Confirmation, 'back'> =>
    p.requested
      ? {
          question: `Decline ${p.name}’s request to join “${p.networkName}”?`,
          consequences: ['She is told by email that her request was declined. She can ask again later.'],
          yes: 'Yes, decline her request',
        }
      : {
          question: `Remove ${p.name} from the network “${p.networkName}”?`,
          consequences: [
            'She no longer reads or posts in it, and its emails to her stop. To come back, she asks to join and a lead approves.',
          ],
          yes: 'Yes, remove her',
        },
};

/** Before she leaves or withdraws her request: which network, and what follows (nothing to ask when she is in neither). */
const confirmLeave = confirmFirst(async (req) => {
  const networkId = String(req.params.id);
  const found = await leavingToConfirm({ actor: req.user!, networkId });
  return found && { ...messages.confirmLeave(found), back: `/networks/${networkId}` };
});

/** Which list the Remove or Decline button was in (a request, a member): the removal refuses if that changed since. */
const seenOnPage = (req: Request): 'requested' | 'member' | undefined => {
  const seen = formBody(req).seen;
  return seen === 'requested' || seen === 'member' ? seen : undefined;
};

/**
 * Before a lead removes a member or declines a request: who, and what follows (the removal's own 403 and 404). Not
 * asked when she is no longer what the page showed: the removal then says so (409).
 */
const confirmRemove = confirmFirst(async (req) => {
  const networkId = String(req.params.id);
  const found = await removalToConfirm({ actor: req.user!, networkId, userId: String(req.params.userId) });
  const seen = seenOnPage(req);
  if (found && seen && found.requested !== (seen === 'requested')) return null;
  return found && { ...messages.confirmRemove(found), back: backAfterAnswer(req, seen ?? 'member') };
});

/**
 * Where a lead's answer to a request or a member takes her back: the members page she answered from, at the same
 * list, search and page (its forms send them back), or the network's page for a request answered there.
 */
function backAfterAnswer(req: Request, list: 'member' | 'requested'): string {
  const networkId = String(req.params.id);
  const body = formBody(req);
  if (body.from !== 'members' && list === 'requested') return `/networks/${networkId}#requests-heading`;
  const sent = membersQuery.safeParse({ status: list, q: body.q || undefined, cursor: body.cursor || undefined });
  return membersPath(networkId, sent.success ? sent.data : { status: list });
}

/** The address of a members page: which list, the search and the page, each only when there is one. */
function membersPath(networkId: string, query: Partial<MembersQuery>): string {
  const params = new URLSearchParams();
  if (query.status === 'requested') params.set('status', 'requested');
  if (query.q) params.set('q', query.q);
  if (query.cursor) params.set('cursor', query.cursor);
  const search = params.toString();
  return `/networks/${networkId}/members${search ? `?${search}` : ''}`;
}

const kindLabels: Record<string, string> = { regional: 'Regional', national: 'National', interest: 'Interest' };
const postKindLabels: Record<string, string> = { story: 'Story', question: 'Question', announcement: 'Announcement' };
const kindOptions = networkKinds.map((k) => ({ value: k, label: kindLabels[k]! }));
const countryOptions = countries.map((c) => ({ value: c.code, label: c.name }));

/** The admin form: empty country and region mean "none"; ticked cohorts arrive as a string or an array. */
const networkFormSchema = z.preprocess(
  (raw) => {
    const b = { ...((raw ?? {}) as Record<string, unknown>) };
    for (const key of ['country', 'region']) if (b[key] === '') delete b[key];
    const linked = b.linkedCohortIds;
    b.linkedCohortIds = linked === undefined ? [] : Array.isArray(linked) ? linked : [linked];
    return b;
  },
  networkSchema.extend({ linkedCohortIds: z.array(objectId).max(200) }),
);

/**
 * A form on a network's page or a post's page, drawn again after a refusal: its errors (under `postErrors`,
 * `replyErrors` …, as each page has several forms), the summary at the top, and what she typed back in its fields.
 */
function keptForm(
  form: 'post' | 'reply' | 'report' | 'hide' | 'replyReport' | 'replyHide',
  req: Request,
  refusal: { errors: Record<string, string>; list: FieldError[] },
): Record<string, unknown> {
  return { [`${form}Errors`]: refusal.errors, errorList: refusal.list, [`${form}Values`]: formBody(req) };
}

/**
 * Why a post or reply she wrote was refused, to show on her form rather than on an error page that would lose her text:
 * a form refusal (422; 429 with Retry-After), or a permission refusal (403), shown at `field`, since after the page was
 * drawn she may have been removed from the network or stopped leading it. Anything else is rethrown.
 */
function writingRefusal(
  error: unknown,
  res: Response,
  field: string,
): { status: number; errors: Record<string, string>; list: FieldError[] } {
  if (error instanceof ForbiddenError)
    return { status: 403, errors: { [field]: error.message }, list: [{ path: field, message: error.message }] };
  return formRefusalFrom(error, res, field);
}

/**
 * Her reply, refused because she is no longer a member of the network, given back to her to copy: on a page of its
 * own, since she can no longer read the post it answered (the post's page would be a 404 and lose her text).
 */
function keptReplyPage(req: Request, res: Response, refusal: NoLongerMemberError) {
  const { body } = formBody(req);
  res.status(403).render('networks/reply-kept', {
    title: messages.replyNotPosted,
    hint: messages.replyKept,
    network: refusal.network,
    body: typeof body === 'string' ? body : '',
    errorList: [{ path: 'body', message: refusal.message }],
    fieldLabels: { body: 'Your reply' },
  });
}

/** The networks she may browse; a filter that cannot be read lists none, with its error at its field (parseFilters). */
async function browsePage(req: Request, res: Response) {
  const filters = parseFilters(listQuery, req.query);
  const [networks, mine] = await Promise.all([filters.ok ? listNetworks(filters.data) : [], networksOf(req.user!.id)]);
  res.status(filters.ok ? 200 : 422).render('networks/index', {
    title: 'Networks',
    networks: networks.map(presentNetwork),
    mine: new Set(mine.map(String)),
    filter: filters.ok ? filters.data : filters.values,
    filterRefused: !filters.ok,
    errors: filters.errors,
    errorList: filters.list,
    kinds: kindOptions,
    kindLabels,
    countries: countryOptions,
    countryName,
  });
}

async function formPage(req: Request, res: Response, extra: Record<string, unknown> & { status?: number } = {}) {
  const { status = 200, ...rest } = extra;
  const network = rest.network as { id: string; name: string } | undefined;
  res.status(status).render('networks/form', {
    title: network ? `Edit ${network.name}` : 'Create a network',
    action: network ? `/networks/${network.id}` : '/networks',
    submitLabel: network ? 'Save the network' : 'Create the network',
    kinds: kindOptions,
    countries: countryOptions,
    cohorts: await cohortChoices(),
    values: { joining: 'open', kind: 'interest', ...formBody(req) },
    ...rest,
  });
}

/**
 * A network's members, or its requests to join, a page at a time, with a search by name (leads and admins). A search
 * that cannot be run lists nobody, with the reason at the search field and what she typed.
 */
async function membersPage(req: Request, res: Response) {
  const networkId = String(req.params.id);
  const parsed = parseForm(membersQuery, { ...req.query });
  const query: MembersQuery = parsed.ok
    ? parsed.data
    : { status: req.query.status === 'requested' ? 'requested' : 'member' };
  const page = await pageMembersOf({ actor: req.user!, networkId, ...query, limit: membersPageSize });
  const network = page.network;
  const confirmRemove = (row: MemberRow) =>
    dialogText(
      messages.confirmRemove({ name: row.name, networkName: network.name, requested: query.status === 'requested' }),
    );
  res.status(parsed.ok ? 200 : 422).render('networks/members', {
    title: `${query.status === 'requested' ? 'Requests to join' : 'Members'}: ${network.name}`,
    network: presentNetwork(network),
    query,
    q: parsed.ok ? (query.q ?? '') : typeof req.query.q === 'string' ? req.query.q : '',
    searchRefused: !parsed.ok,
    errors: parsed.ok ? {} : parsed.errors,
    errorList: parsed.ok ? [] : parsed.list,
    rows: parsed.ok ? page.rows.map((row) => ({ ...row, confirmRemove: confirmRemove(row) })) : [],
    // Remove as lead is offered while another lead whose account is live remains (stepDownLead says so too).
    liveLeads: (network.leads ?? []).length,
    membersPath: (q: Partial<MembersQuery>) => membersPath(networkId, q),
    nextPath: parsed.ok && page.nextCursor ? membersPath(networkId, { ...query, cursor: page.nextCursor }) : null,
    firstPath: parsed.ok && query.cursor ? membersPath(networkId, { ...query, cursor: undefined }) : null,
  });
}

/** Every report of a network's posts and replies, newest first, a page at a time (its leads and the admins). */
async function reportsPage(req: Request, res: Response) {
  const networkId = String(req.params.id);
  // A cursor that is not one of ours is refused by reportsOf (422), as an API cursor is.
  const cursor = typeof req.query.cursor === 'string' && req.query.cursor ? req.query.cursor : undefined;
  const reports = await reportsOf({ actor: req.user!, networkId, limit: reportsPageSize, cursor });
  const network = reports.network;
  const pagePath = (next?: string) =>
    `/networks/${networkId}/reports${next ? `?cursor=${encodeURIComponent(next)}` : ''}`;
  res.render('networks/reports', {
    title: `Reports: ${network.name}`,
    network: presentNetwork(network),
    reports: reports.rows,
    nextPath: reports.nextCursor ? pagePath(reports.nextCursor) : null,
    firstPath: cursor ? pagePath() : null,
  });
}

async function networkPage(req: Request, res: Response, status = 200, extra: Record<string, unknown> = {}) {
  const cursor = typeof req.query.cursor === 'string' ? req.query.cursor : undefined;
  const page = await networkFrontPage({ actor: req.user!, networkId: String(req.params.id), limit: 20, cursor });
  const { access, leads } = page;
  const n = access.network;
  const membership = access.membership;
  const withQuestion = (requested: boolean) => (row: MemberRow) => ({
    ...row,
    confirmRemove: dialogText(messages.confirmRemove({ name: row.name, networkName: n.name, requested })),
  });
  // Those who moderate answer the first requests here, and see the newest reports; the members, every request and
  // every report have pages of their own.
  const networkId = String(n._id);
  const moderation = access.canModerate
    ? await Promise.all([
        pageMembersOf({ actor: req.user!, networkId, status: 'requested', limit: requestsOnNetworkPage }),
        reportsOf({ actor: req.user!, networkId, limit: reportsOnNetworkPage }),
      ]).then(([requests, reports]) => ({
        requests: requests.rows.map(withQuestion(true)),
        moreRequests: requests.nextCursor !== null,
        reports: reports.rows,
        moreReports: reports.nextCursor !== null,
      }))
    : { requests: [], moreRequests: false, reports: [], moreReports: false };
  res.status(status).render('networks/show', {
    title: n.name,
    network: presentNetwork(n),
    leads,
    status: membership?.status ?? null,
    joinsAtOnce: joinsAtOnce(n, membership),
    confirmLeave:
      membership?.status === 'member' || membership?.status === 'requested'
        ? dialogText(
            messages.confirmLeave({
              name: n.name,
              openToAll: n.joining === 'open',
              requested: membership.status === 'requested',
            }),
          )
        : '',
    canRead: access.canRead,
    canWrite: access.canWrite,
    canModerate: access.canModerate,
    posts: page.posts,
    nextCursor: page.nextCursor,
    cursor,
    ...moderation,
    kindLabels,
    postKindLabels,
    postKindOptions: postKinds
      .filter((k) => k !== 'announcement' || membership?.role === 'lead')
      .map((k) => ({ value: k, label: postKindLabels[k]! })),
    countryName,
    postValues: {},
    postErrors: {},
    fieldLabels: { kind: 'Kind of post', body: 'Your story or question' },
    ...extra,
  });
}

/**
 * A reply's report or hide form refused: its post's page again, the form open at that reply with her text kept
 * (`formReplyId` says which reply's form the errors belong to). A reply she may not read is the same 404 as for its
 * post.
 */
async function replyFormRefused(
  req: Request,
  res: Response,
  replyId: string,
  status: number,
  extra: Record<string, unknown>,
) {
  const postId = await postIdOfReply(replyId);
  if (!postId) throw new NotFoundError();
  return postPage(req, res, status, { ...extra, formReplyId: replyId }, postId);
}

async function postPage(
  req: Request,
  res: Response,
  status = 200,
  extra: Record<string, unknown> = {},
  postId = String(req.params.id),
) {
  const { post, replies, access } = await showPost({ actor: req.user!, postId });
  res.status(status).render('networks/post', {
    title: post.title,
    post,
    replies,
    networkName: access.network.name,
    canWrite: access.canWrite,
    canModerate: access.canModerate,
    postKindLabels,
    replyValues: {},
    replyErrors: {},
    reportValues: {},
    reportErrors: {},
    hideValues: {},
    hideErrors: {},
    replyReportValues: {},
    replyReportErrors: {},
    replyHideValues: {},
    replyHideErrors: {},
    formReplyId: null,
    // As the fields are labelled (views/networks/post.ejs), so the summary and the field say the same.
    fieldLabels: {
      body: 'Your reply',
      reason: extra.formReplyId ? 'Why should the leads look at this reply?' : 'Why should the leads look at it?',
      hideReason: 'Reason for hiding',
    },
    ...extra,
  });
}
