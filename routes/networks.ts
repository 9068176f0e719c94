import type { Router } from 'express';
import { z } from 'zod';
import { networkJoinings, networkKinds } from '../models/Network.ts';
import { postKinds } from '../models/NetworkPost.ts';
import { apiOperation } from '../server/http/api.ts';
import { objectId, paging, text } from '../server/http/validate.ts';
import {
  approveMember,
  createNetwork,
  createPost,
  listPosts,
  replyToPost,
  reportPost,
  setPostHidden,
  joinNetwork,
  leaveNetwork,
  listNetworks,
  presentNetwork,
  removeMember,
  setLeads,
} from '../server/services/networks/index.ts';

export const networkSchema = z.strictObject({
  name: text(120),
  kind: z.enum(networkKinds),
  description: z.string().trim().max(4000).default(''),
  country: z
    .string()
    .trim()
    .toUpperCase()
    .regex(/^[A-Z]{2}$/, 'must be a two-letter country code')
    .optional(),
  region: z.string().trim().max(120).optional(),
  joining: z.enum(networkJoinings),
});
const listQuery = z.strictObject({
  kind: z.enum(networkKinds).optional(),
  country: z
    .string()
    .trim()
    .regex(/^[A-Za-z]{2}$/, 'must be a two-letter country code')
    .optional(),
  q: z.string().trim().max(200).optional(),
});
const leadsSchema = z.strictObject({ userIds: z.array(objectId).min(1).max(20) });

export const postSchema = z.strictObject({
  kind: z.enum(postKinds),
  title: text(200),
  body: text(20_000),
});
export const replySchema = z.strictObject({ body: text(10_000) });
export const reportSchema = z.strictObject({ reason: text(1000) });
export const hideSchema = z
  .strictObject({ hidden: z.boolean(), reason: z.string().trim().max(500).optional() })
  .refine((v) => !v.hidden || !!v.reason, { path: ['reason'], message: 'is required when hiding a post' });
const postsQuery = z.strictObject(paging);

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
const replyOut = z.object({
  id: z.string(),
  postId: z.string(),
  body: z.string(),
  bodyHtml: z.string(),
  author: authorOut,
  createdAt: z.string(),
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
    },
    async ({ user, body }) => presentNetwork(await createNetwork({ actor: user, ...body })),
  );
  apiOperation(
    api,
    {
      method: 'get',
      path: '/networks',
      tag: 'networks',
      summary: 'Networks by kind, country and words, with member counts',
      access: [],
      query: listQuery,
      success: {
        status: 200,
        description: 'Networks, by name',
        schema: z.object({ items: z.array(networkOut), nextCursor: z.null() }),
      },
    },
    async ({ query }) => ({ items: (await listNetworks(query)).map(presentNetwork), nextCursor: null }),
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
    },
    async ({ user, params, body }) => void (await setLeads({ actor: user, networkId: params.id!, ...body })),
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
      summary: 'Post a story or question (members) or an announcement (leads)',
      access: [],
      body: postSchema,
      success: { status: 201, description: 'The post', schema: postOut },
    },
    async ({ user, params, body }) => createPost({ actor: user, networkId: params.id!, ...body }),
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
      summary: 'Reply to a post (members of its network)',
      access: [],
      body: replySchema,
      success: { status: 201, description: 'The reply', schema: replyOut },
    },
    async ({ user, params, body }) => replyToPost({ actor: user, postId: params.id!, ...body }),
  );
  apiOperation(
    api,
    {
      method: 'post',
      path: '/posts/:id/report',
      tag: 'networks',
      summary: "Report a post to its network's leads and the admins",
      access: [],
      body: reportSchema,
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
  void web;
}
