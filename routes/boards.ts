import type { Request, Response, Router } from 'express';
import { z } from 'zod';
import { boardRoles } from '../models/Board.ts';
import { requireRole, requireSignIn } from '../server/auth.ts';
import { ConflictError, ValidationError, type FieldError } from '../server/errors.ts';
import { versionFromForm } from '../server/versions.ts';
import { downloadDisposition } from '../server/http/downloads.ts';
import { apiOperation } from '../server/http/api.ts';
import { confirmFirst, dialogText, type Confirmation } from '../server/http/confirmFirst.ts';
import { flash } from '../server/http/flash.ts';
import { errorsOnFormFields, formBody, formErrorsFrom, parseForm } from '../server/http/forms.ts';
import { clientSubmissionKey } from '../server/http/submissionKey.ts';
import { refusedFileOf } from '../server/http/uploads.ts';
import { emailAddress, isoDate, objectId, paging, text, timezone } from '../server/http/validate.ts';
import { pageInListOrder } from '../server/pagination.ts';
import { canChangeChairs, canManageBoard } from '../server/policies/boards.ts';
import {
  addUpFigures,
  confirmBoardMembership,
  createBoard,
  externalCertificateFile,
  fairnessAcrossBoards,
  findBoardFor,
  linkBoardToPledge,
  listBoardsFor,
  listExternalCertificates,
  memberRemovalToConfirm,
  openRoundsReadiness,
  pageBoardsFor,
  peopleById,
  pledgeLinkState,
  presentBoard,
  presentExternalCertificate,
  recordExternalCertificate,
  removeBoardMember,
  roundsOfBoard,
  setBoardMember,
  setBoardMemberByEmail,
  updateBoard,
  type UploadedFile,
} from '../server/services/boards/index.ts';

const messages = {
  created: (name: string) => `${name} was created.`,
  memberSet: (name: string) => `${name} is on the board.`,
  memberRemoved: 'The member was removed from the board.',
  certificateRecorded: 'The safer-recruitment certificate was recorded.',
  boardSaved: 'The board’s details were saved.',
  membershipConfirmed: 'Thank you: the board’s chair and clerk can now see the training certificates you recorded.',
  pledgeLinked: 'The board is linked to your Pledge signature.',
  // Asked before a member is removed, on a page and in the form's dialog.
  confirmRemove: (p: {
    name: string;
    boardName: string;
    confirmed: boolean;
    openPanels: number;
  }): Omit<Confirmation, 'back'> => ({
    question: `Remove ${p.name} from the board “${p.boardName}”?`,
    consequences: [
      p.confirmed
        ? 'She no longer sees the board. Added again, she must confirm her membership again before you see the certificates she recorded.'
        : 'She no longer sees the board.',
      ...(p.openPanels
        ? [
            `She stays on the panel of ${p.openPanels === 1 ? 'an open round' : `${p.openPanels} open rounds`} until you remove her there.`,
          ]
        : []),
    ],
    yes: 'Yes, remove her',
  }),
};

/** Before a member is removed: who, and what follows (the removal's own 403 and 404). */
const confirmRemove = confirmFirst(async (req) => {
  const found = await memberRemovalToConfirm({
    actor: req.user!,
    boardId: String(req.params.id),
    userId: String(req.params.userId),
  });
  return found && { ...messages.confirmRemove(found), back: `/boards/${String(req.params.id)}#members-title` };
});

export const createBoardSchema = z.strictObject({
  name: text(160),
  organisation: text(200),
  timezone: timezone.optional(),
});
export const updateBoardSchema = z.strictObject({
  name: text(160).optional(),
  organisation: text(200).optional(),
  timezone: timezone.optional(),
});
/** The API's change also takes the `version` the client read: a save by someone else since is then a 409. */
const patchBoardSchema = updateBoardSchema.extend({ version: z.number().int().min(0).nullable().optional() });
export const boardMemberSchema = z.strictObject({ userId: objectId, role: z.enum(boardRoles) });
export const externalCertificateSchema = z.strictObject({
  userId: objectId,
  provider: text(200),
  completedOn: isoDate,
  expiresOn: isoDate.optional(),
});
const memberByEmailSchema = z.strictObject({
  email: emailAddress(),
  role: z.enum(boardRoles),
});
const certificateFormSchema = z.preprocess(
  (raw) => {
    const b = { ...((raw ?? {}) as Record<string, unknown>) };
    delete b._csrf;
    delete b._submission;
    if (b.expiresOn === '') delete b.expiresOn;
    return b;
  },
  z.strictObject({
    userId: objectId.optional(),
    provider: text(200),
    completedOn: isoDate,
    expiresOn: isoDate.optional(),
  }),
);

const boardOut = z.object({
  id: z.string(),
  name: z.string(),
  organisation: z.string(),
  timezone: z.string(),
  members: z.array(z.object({ userId: z.string(), role: z.enum(boardRoles), confirmed: z.boolean() })),
  version: z.number().nullable(),
});
const externalOut = z.object({
  id: z.string(),
  userId: z.string(),
  kind: z.string(),
  provider: z.string(),
  completedOn: z.string(),
  expiresOn: z.string(),
  hasFile: z.boolean(),
});
const countsOut = z.object({ cells: z.record(z.string(), z.number().nullable()), total: z.number().nullable() });

/** What a form posted, without its `_csrf` and `_submission` (formBody). */
const body = formBody;

export async function boardPage(req: Request, res: Response, status = 200, extra: Record<string, unknown> = {}) {
  const board = await findBoardFor({ actor: req.user!, boardId: String(req.params.id) });
  const rounds = await roundsOfBoard(board._id);
  const people = await peopleById([...board.members.map((m) => m.userId), ...rounds.flatMap((r) => r.panel)]);
  const manage = canManageBoard(req.user!, board);
  const choosesChairs = canChangeChairs(req.user!, board);
  const certificateTargets = manage ? [...people.values()].sort((a, b) => a.name.localeCompare(b.name)) : [];
  const pledge = await pledgeLinkState({ actor: req.user!, board });
  const readiness = await openRoundsReadiness(board, rounds);
  res.status(status).render('boards/show', {
    title: board.name,
    board: presentBoard(board),
    people,
    rounds,
    totals: addUpFigures(rounds),
    canManage: manage,
    certificateTargets,
    pledge,
    readiness,
    // Only chairs and admins are offered the chair (the service refuses it to others).
    choosesChairs,
    roles: choosesChairs ? boardRoles : boardRoles.filter((r) => r !== 'chair'),
    confirmRemove: (m: { userId: string; confirmed: boolean }) =>
      dialogText(
        messages.confirmRemove({
          name: people.get(m.userId)?.name ?? 'This member',
          boardName: board.name,
          confirmed: m.confirmed,
          openPanels: rounds.filter((r) => r.status === 'open' && r.panel.some((id) => String(id) === m.userId)).length,
        }),
      ),
    values: {},
    roundErrors: {},
    roundValues: {},
    certErrors: {},
    certValues: {},
    ...extra,
  });
}

async function addMemberByEmail(req: Request, res: Response) {
  const form = parseForm(memberByEmailSchema, body(req));
  if (!form.ok) return boardPage(req, res, 422, { errors: form.errors, errorList: form.list, values: body(req) });
  let name: string;
  try {
    ({ name } = await setBoardMemberByEmail({ actor: req.user!, boardId: String(req.params.id), ...form.data }));
  } catch (error) {
    // The account the address names is refused as "userId" (a researcher's): said at the address she typed.
    const moved = errorsOnFormFields(formErrorsFrom(error).list, (path) => (path === 'userId' ? 'email' : undefined));
    return boardPage(req, res, 422, { errors: moved.errors, errorList: moved.list, values: body(req) });
  }
  flash(req, 'success', messages.memberSet(name));
  res.redirect(303, `/boards/${String(req.params.id)}`);
}

/** Web: a chair or clerk records for a member (userId in the form); anyone else records for herself. */
async function recordCertificateForm(
  req: Request,
  res: Response,
  back: string,
  rerender: (status: number, extra: Record<string, unknown>) => Promise<void>,
) {
  const form = parseForm(certificateFormSchema, req.body);
  // A file too large to read is refused at its field, with whatever else the form says is wrong.
  const refusedFile = refusedFileOf(req);
  if (!form.ok || refusedFile) {
    const list = [...(form.ok ? [] : form.list), ...(refusedFile ? [refusedFile] : [])];
    const errors = Object.fromEntries(list.map((e) => [e.path, e.message]));
    return rerender(422, { ...withFileAgain(req, errors, list), certValues: body(req) });
  }
  try {
    await recordExternalCertificate({
      actor: req.user!,
      userId: form.data.userId ?? req.user!.id,
      provider: form.data.provider,
      completedOn: form.data.completedOn,
      expiresOn: form.data.expiresOn,
      file: fileOf(req),
      submissionKey: clientSubmissionKey(req),
    });
  } catch (error) {
    const { errors, list } = formErrorsFrom(error);
    return rerender(422, { ...withFileAgain(req, errors, list), certValues: body(req) });
  }
  flash(req, 'success', messages.certificateRecorded);
  res.redirect(303, back);
}

/**
 * The certificate form's errors, sent back. A browser never fills a file field, so the file she attached is not in
 * the form that comes back: unless the file itself was refused, she is asked at the field to choose it again, rather
 * than sending the corrected form without it unawares.
 */
function withFileAgain(req: Request, errors: Record<string, string>, list: FieldError[]) {
  const file = fileOf(req);
  if (!file || errors.file) return { certErrors: errors, errorList: list };
  const message = `choose “${file.originalname}” again: a form sent back cannot keep the file it carried`;
  return { certErrors: { ...errors, file: message }, errorList: [...list, { path: 'file', message }] };
}

/**
 * The file she chose, if any. A file field left empty still sends a part, with no name and no bytes: that is no file.
 * A file with a name and no bytes is one she chose, and goes on to be refused as empty.
 */
const fileOf = (req: Request): UploadedFile | undefined => {
  const file = (req as Request & { file?: UploadedFile }).file;
  return file && (file.size > 0 || file.originalname) ? file : undefined;
};

async function myTrainingPage(req: Request, res: Response, status = 200, extra: Record<string, unknown> = {}) {
  const certificates = await listExternalCertificates({ actor: req.user!, userId: req.user!.id });
  res.status(status).render('boards/training', {
    title: 'Safer-recruitment training',
    certificates,
    certValues: {},
    certErrors: {},
    ...extra,
  });
}

export function registerBoardRoutes(web: Router, api: Router): void {
  apiOperation(
    api,
    {
      method: 'post',
      path: '/boards',
      tag: 'boards',
      summary: 'Create a governing board',
      access: ['admin'],
      body: createBoardSchema,
      success: { status: 201, description: 'The board', schema: boardOut },
      location: (id) => `/boards/${id}`,
      idempotent: true,
    },
    async ({ user, body: input, req }) =>
      presentBoard(await createBoard({ actor: user, ...input, submissionKey: clientSubmissionKey(req) })),
  );
  apiOperation(
    api,
    {
      method: 'get',
      path: '/boards',
      tag: 'boards',
      summary: 'Boards you belong to (admins: all)',
      access: [],
      query: z.strictObject(paging),
      success: {
        status: 200,
        description: 'A page of boards, in the order they were made; nextCursor gives the next page',
        schema: z.object({ items: z.array(boardOut), nextCursor: z.string().nullable() }),
      },
    },
    async ({ user, query }) => {
      const page = await pageBoardsFor({ actor: user, ...query });
      return { items: page.items.map(presentBoard), nextCursor: page.nextCursor };
    },
  );
  apiOperation(
    api,
    {
      method: 'get',
      path: '/boards/fairness',
      tag: 'boards',
      summary: 'Gender figures across boards, counts under 5 suppressed (null)',
      access: ['admin'],
      success: {
        status: 200,
        description: 'Totals by stage',
        schema: z.object({
          overall: z.record(z.string(), z.union([z.number(), countsOut])),
          boards: z.array(z.record(z.string(), z.unknown())),
        }),
      },
    },
    async ({ user }) => fairnessAcrossBoards({ actor: user }),
  );
  apiOperation(
    api,
    {
      method: 'get',
      path: '/boards/:id',
      tag: 'boards',
      summary: 'A board (its members and admins only)',
      access: [],
      success: { status: 200, description: 'The board', schema: boardOut },
    },
    async ({ user, params }) => presentBoard(await findBoardFor({ actor: user, boardId: params.id! })),
  );
  apiOperation(
    api,
    {
      method: 'patch',
      path: '/boards/:id',
      tag: 'boards',
      summary: 'Rename a board or change its zone (chair, clerk, admin)',
      access: [],
      body: patchBoardSchema,
      success: { status: 200, description: 'The board', schema: boardOut },
      errors: [409],
    },
    async ({ user, params, body: { version, ...input } }) =>
      presentBoard(await updateBoard({ actor: user, boardId: params.id!, ...input, expectedVersion: version })),
  );
  apiOperation(
    api,
    {
      method: 'post',
      path: '/boards/:id/members',
      tag: 'boards',
      summary: 'Add a member or change her role (chair, clerk, admin)',
      access: [],
      body: boardMemberSchema,
      success: { status: 201, description: 'The board', schema: boardOut },
      errors: [409],
    },
    async ({ user, params, body: input }) =>
      presentBoard(await setBoardMember({ actor: user, boardId: params.id!, ...input })),
  );
  apiOperation(
    api,
    {
      method: 'post',
      path: '/boards/:id/members/me/confirm',
      tag: 'boards',
      summary:
        'Confirm that you sit on this board (lets its chairs and clerks see the certificates you recorded yourself)',
      access: [],
      success: { status: 200, description: 'The board', schema: boardOut },
    },
    async ({ user, params }) => presentBoard(await confirmBoardMembership({ actor: user, boardId: params.id! })),
  );
  apiOperation(
    api,
    {
      method: 'delete',
      path: '/boards/:id/members/:userId',
      tag: 'boards',
      summary: 'Remove a member (chair, clerk, admin)',
      access: [],
      success: { status: 204, description: 'Removed' },
      errors: [409],
    },
    async ({ user, params }) =>
      void (await removeBoardMember({ actor: user, boardId: params.id!, userId: params.userId! })),
  );
  apiOperation(
    api,
    {
      method: 'post',
      path: '/external-certificates',
      tag: 'boards',
      summary: 'Record safer-recruitment training (yours, or as chair/clerk for a member); files via the web form',
      access: [],
      body: externalCertificateSchema,
      success: { status: 201, description: 'The certificate', schema: externalOut },
      idempotent: true,
    },
    async ({ user, body: input, req }) =>
      presentExternalCertificate(
        await recordExternalCertificate({ actor: user, ...input, submissionKey: clientSubmissionKey(req) }),
      ),
  );
  apiOperation(
    api,
    {
      method: 'get',
      path: '/users/:id/external-certificates',
      tag: 'boards',
      summary: "A person's external certificates (herself, her board's chair or clerk, admins)",
      access: [],
      success: {
        status: 200,
        description: 'Certificates',
        schema: z.object({ items: z.array(externalOut), nextCursor: z.string().nullable() }),
      },
      query: z.strictObject(paging),
    },
    async ({ user, params, query }) => {
      const certificates = await listExternalCertificates({ actor: user, userId: params.id! });
      const page = pageInListOrder(certificates, query, (certificate) => certificate._id);
      return { items: page.rows.map(presentExternalCertificate), nextCursor: page.nextCursor };
    },
  );

  web.get('/boards', requireSignIn, async (req, res) => {
    res.render('boards/index', {
      title: 'Governing boards',
      boards: (await listBoardsFor({ actor: req.user! })).map(presentBoard),
      values: {},
    });
  });
  web.post('/boards', requireRole('admin'), async (req, res) => {
    const form = parseForm(createBoardSchema, { ...body(req), ...(body(req).timezone ? {} : { timezone: undefined }) });
    if (!form.ok)
      return res.status(422).render('boards/index', {
        title: 'Governing boards',
        boards: (await listBoardsFor({ actor: req.user! })).map(presentBoard),
        values: body(req),
        errors: form.errors,
        errorList: form.list,
      });
    const board = await createBoard({ actor: req.user!, ...form.data, submissionKey: clientSubmissionKey(req) });
    flash(req, 'success', messages.created(board.name));
    res.redirect(303, `/boards/${String(board._id)}`);
  });
  web.get('/boards/fairness', requireRole('admin'), async (req, res) =>
    res.render('boards/fairness', {
      title: 'Fairness across boards',
      ...(await fairnessAcrossBoards({ actor: req.user! })),
    }),
  );
  web.get('/boards/:id', requireSignIn, (req, res) => boardPage(req, res));
  web.post('/boards/:id', requireSignIn, async (req, res) => {
    // Sent back, a refused form keeps the version she opened, so a save by someone else meanwhile is still noticed.
    const { version, ...fields } = body(req);
    const form = parseForm(updateBoardSchema, fields);
    if (!form.ok)
      return boardPage(req, res, 422, { errors: form.errors, errorList: form.list, values: fields, version });
    try {
      await updateBoard({
        actor: req.user!,
        boardId: String(req.params.id),
        ...form.data,
        expectedVersion: versionFromForm(version),
      });
    } catch (error) {
      if (!(error instanceof ConflictError)) throw error;
      // Saved by someone else since she opened it: her changes come back unsaved, with the version now stored (the
      // page reads the board again), so that sending them again (knowing) replaces the other changes.
      // The details form is far down the page: the summary links to its first field.
      return boardPage(req, res, 409, {
        errorList: [{ path: '(board)', at: 'name', message: error.message }],
        values: fields,
      });
    }
    flash(req, 'success', messages.boardSaved);
    res.redirect(303, `/boards/${String(req.params.id)}`);
  });
  web.post('/boards/:id/members', requireSignIn, addMemberByEmail);
  web.post('/boards/:id/confirm', requireSignIn, async (req, res) => {
    await confirmBoardMembership({ actor: req.user!, boardId: String(req.params.id) });
    flash(req, 'success', messages.membershipConfirmed);
    res.redirect(303, `/boards/${String(req.params.id)}`);
  });
  web.post('/boards/:id/members/:userId/role', requireSignIn, async (req, res) => {
    const form = parseForm(z.object({ role: z.enum(boardRoles) }), body(req));
    if (!form.ok) throw new ValidationError('Choose a role.', form.list);
    await setBoardMember({
      actor: req.user!,
      boardId: String(req.params.id),
      userId: String(req.params.userId),
      role: form.data.role,
    });
    flash(req, 'success', 'The role was changed.');
    res.redirect(303, `/boards/${String(req.params.id)}`);
  });
  web.post('/boards/:id/members/:userId/remove', requireSignIn, confirmRemove, async (req, res) => {
    await removeBoardMember({ actor: req.user!, boardId: String(req.params.id), userId: String(req.params.userId) });
    flash(req, 'success', messages.memberRemoved);
    res.redirect(303, `/boards/${String(req.params.id)}`);
  });
  web.post('/boards/:id/external-certificates', requireSignIn, async (req, res) => {
    await findBoardFor({ actor: req.user!, boardId: String(req.params.id) });
    await recordCertificateForm(req, res, `/boards/${String(req.params.id)}#training`, (status, extra) =>
      boardPage(req, res, status, extra),
    );
  });
  web.post('/boards/:id/pledge', requireSignIn, async (req, res) => {
    const form = parseForm(z.object({ signatureId: objectId, show: z.literal('yes').optional() }), body(req));
    if (!form.ok) throw new ValidationError('Choose the signature to link.', form.list);
    await linkBoardToPledge({
      actor: req.user!,
      boardId: String(req.params.id),
      signatureId: form.data.signatureId,
      showRoundReadiness: form.data.show === 'yes',
    });
    flash(req, 'success', messages.pledgeLinked);
    res.redirect(303, `/boards/${String(req.params.id)}`);
  });
  web.get('/training/safer-recruitment', requireSignIn, (req, res) => myTrainingPage(req, res));
  web.post('/training/safer-recruitment', requireSignIn, async (req, res) => {
    if (req.body) delete (req.body as Record<string, unknown>).userId;
    await recordCertificateForm(req, res, '/training/safer-recruitment', (status, extra) =>
      myTrainingPage(req, res, status, extra),
    );
  });
  web.get('/external-certificates/:id/file', requireSignIn, async (req, res) => {
    const file = await externalCertificateFile({ actor: req.user!, certificateId: String(req.params.id) });
    res.setHeader('Content-Disposition', downloadDisposition(file.name));
    res.setHeader('Content-Type', file.contentType);
    res.setHeader('X-Content-Type-Options', 'nosniff');
    res.send(file.data);
  });
}
