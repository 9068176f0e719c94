import type { Router } from 'express';
import { z } from 'zod';
import { networkJoinings, networkKinds } from '../models/Network.ts';
import { apiOperation } from '../server/http/api.ts';
import { objectId, text } from '../server/http/validate.ts';
import {
  approveMember,
  createNetwork,
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
  void web;
}
