import type { Router } from 'express';
import { z } from 'zod';
import { roles } from '../models/User.ts';
import { requireRole } from '../server/auth.ts';
import { ForbiddenError, ValidationError } from '../server/errors.ts';
import { apiOperation } from '../server/http/api.ts';
import { flash } from '../server/http/flash.ts';
import { formErrorsFrom, parseForm } from '../server/http/forms.ts';
import { decodeCursor, pageOf } from '../server/pagination.ts';
import { emailAddress, paging, personName, timezone } from '../server/http/validate.ts';
import { allowedUserSearch, searchNarrowEnough, shortestFacilitatorSearch } from '../server/policies/users.ts';
import { createUser, presentUser, searchUsers } from '../server/services/users.ts';
import type { OwnAccountRouters } from './index.ts';

const messages = {
  searchTooLong: 'is too long: search with at most 100 characters of a name or email address',
  searchTooShort: `is needed: search with at least ${shortestFacilitatorSearch} characters of a participant's email address or name`,
};

export const createUserSchema = z.strictObject({
  email: emailAddress(),
  name: personName(),
  roles: z.array(z.enum(roles)).min(1, 'choose at least one role'),
  timezone: timezone.optional(),
  password: z.string().max(256).optional(),
});
const userSchema = z.object({
  id: z.string(),
  email: z.string(),
  name: z.string(),
  roles: z.array(z.enum(roles)),
  timezone: z.string(),
  status: z.string(),
  /** Her details' version (server/versions.ts): sent back with a PATCH, a change made since is a 409. */
  version: z.number().nullable(),
});
/** You, as `GET /me` shows you (and `PATCH /me`, routes/account.ts, answers). */
export const meSchema = userSchema.pick({
  id: true,
  email: true,
  name: true,
  roles: true,
  timezone: true,
  version: true,
});
const userQuerySchema = z.strictObject({
  role: z.enum(roles).optional(),
  q: z.string().trim().max(100, messages.searchTooLong).optional(),
  ...paging,
});

/** Web form: checkboxes arrive as a string or an array; an empty password field means "send an invitation". */
const userFormSchema = z.preprocess((raw) => {
  const b = (raw ?? {}) as Record<string, unknown>;
  return {
    email: b.email,
    name: b.name,
    roles: b.roles === undefined ? [] : Array.isArray(b.roles) ? b.roles : [b.roles],
    ...(b.timezone ? { timezone: b.timezone } : {}),
    ...(b.password ? { password: b.password } : {}),
  };
}, createUserSchema);

async function findUsers(actor: Express.User, query: z.output<typeof userQuerySchema>) {
  const role = allowedUserSearch(actor, query.role);
  if (role === false) throw new ForbiddenError();
  if (!searchNarrowEnough(actor, query.q))
    throw new ValidationError(messages.searchTooShort, [{ path: 'q', message: messages.searchTooShort }]);
  const rows = await searchUsers({ role, q: query.q, limit: query.limit, after: decodeCursor(query.cursor) });
  const page = pageOf(rows, query.limit);
  return { items: page.rows.map(presentUser), nextCursor: page.nextCursor };
}

export function registerUserRoutes(web: Router, api: Router, own: OwnAccountRouters): void {
  apiOperation(
    own.api,
    {
      method: 'get',
      path: '/me',
      tag: 'users',
      summary: 'The signed-in user',
      access: [],
      success: {
        status: 200,
        description: 'You',
        schema: meSchema,
      },
    },
    async ({ user }) => ({
      id: user.id,
      email: user.email,
      name: user.name,
      roles: user.roles,
      timezone: user.timezone,
      version: user.version ?? null,
    }),
  );
  apiOperation(
    api,
    {
      method: 'post',
      path: '/users',
      tag: 'users',
      summary: 'Create a user (an invitation is emailed when no password is given)',
      access: ['admin'],
      body: createUserSchema,
      success: { status: 201, description: 'The user', schema: userSchema },
      errors: [409],
    },
    async ({ body, user, req }) => createUser({ ...body, actorName: user.name, actor: user, ip: req.ip }),
  );
  apiOperation(
    api,
    {
      method: 'get',
      path: '/users',
      tag: 'users',
      summary: 'Search users (admins; facilitators search participants)',
      access: ['admin', 'facilitator'],
      query: userQuerySchema,
      success: {
        status: 200,
        description: 'A page of users',
        schema: z.object({ items: z.array(userSchema), nextCursor: z.string().nullable() }),
      },
    },
    async ({ user, query }) => findUsers(user, query),
  );

  web.get('/admin/users', requireRole('admin'), async (req, res) => {
    const query = parseForm(userQuerySchema, { ...req.query });
    // A search that cannot be run lists nobody (never everyone), with the reason at the search field and what she typed.
    const result = query.ok ? await findUsers(req.user!, query.data) : { items: [], nextCursor: null };
    res.status(query.ok ? 200 : 422).render('users/index', {
      title: 'People',
      users: result.items,
      nextCursor: result.nextCursor,
      q: query.ok ? (query.data.q ?? '') : typeof req.query.q === 'string' ? req.query.q : '',
      // The role filter goes with the search into every next page (dropped, page 2 listed every role).
      role: query.ok ? (query.data.role ?? '') : typeof req.query.role === 'string' ? req.query.role : '',
      searchRefused: !query.ok,
      roles,
      values: {},
      errors: query.ok ? {} : query.errors,
      errorList: query.ok ? [] : query.list,
    });
  });
  web.post('/admin/users', requireRole('admin'), async (req, res) => {
    const renderWith = async (errors: Record<string, string>, errorList: unknown[]) => {
      const result = await findUsers(req.user!, { limit: 50 });
      res.status(422).render('users/index', {
        title: 'People',
        users: result.items,
        nextCursor: result.nextCursor,
        q: '',
        role: '',
        roles,
        values: req.body,
        errors,
        errorList,
      });
    };
    const form = parseForm(userFormSchema, req.body);
    if (!form.ok) return renderWith(form.errors, form.list);
    try {
      const created = await createUser({ ...form.data, actorName: req.user!.name, actor: req.user!, ip: req.ip });
      flash(
        req,
        'success',
        created.status === 'invited' ? `${created.name} was invited by email.` : `${created.name} can now sign in.`,
      );
      res.redirect(303, '/admin/users');
    } catch (error) {
      if ((error as { status?: number }).status === 409)
        return renderWith({ email: (error as Error).message }, [{ path: 'email', message: (error as Error).message }]);
      const { errors, list } = formErrorsFrom(error);
      return renderWith(errors, list);
    }
  });
}
