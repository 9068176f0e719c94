import { BoardModel } from '../../../models/Board.ts';
import { ExternalCertificateModel } from '../../../models/ExternalCertificate.ts';
import { RecruitmentRoundModel } from '../../../models/RecruitmentRound.ts';
import { UserModel } from '../../../models/User.ts';
import type { Types } from 'mongoose';
import { formerMemberName } from '../learning/personalData.ts';
import { personalDataArea } from '../privacy/personalData.ts';
import { forgetNameInOthersNotifications } from '../reminders/personalData.ts';
import { absoluteUrl } from '../../settings.ts';

const iso = (d?: Date | null) => (d ? d.toISOString() : null);

/** Closed rounds whose readiness record names her (filtered here: the nested path has no index on FerretDB). */
async function recordsNaming(userId: { toString(): string }) {
  const rounds = await RecruitmentRoundModel.find(
    { status: 'closed' },
    { title: 1, boardId: 1, readinessRecord: 1 },
  ).lean();
  return rounds.filter((r) => r.readinessRecord?.members.some((m) => String(m.userId) === String(userId)));
}

/**
 * "Former member" for everyone on a closed round's readiness record whose account is erased, written over the record's
 * revision read (`readinessRecord.rev`) and tried again when another rewrite landed meanwhile: FerretDB has no
 * positional update, so the members array is written whole, and two erasures at once (two processes) each wrote back
 * the other's real name. Run after a close (an erasure marks the account `erased` before its areas run, and a close may
 * have read her name before that and written its record after the boards area looked for records naming her; whichever
 * comes last sees both) and by the boards area's erasure for every record naming her.
 */
export async function nameNoErasedPersonInRecord(roundId: Types.ObjectId): Promise<void> {
  for (let attempt = 0; attempt < 20; attempt += 1) {
    const round = await RecruitmentRoundModel.findOne(
      { _id: roundId, status: 'closed' },
      { readinessRecord: 1 },
    ).lean();
    const record = round?.readinessRecord;
    if (!record?.members?.length) return;
    const erased = new Set(
      (
        await UserModel.find({ _id: { $in: record.members.map((m) => m.userId) }, status: 'erased' })
          .select('_id')
          .lean()
      ).map((u) => String(u._id)),
    );
    if (!record.members.some((m) => erased.has(String(m.userId)) && m.name !== formerMemberName)) return;
    const written = await RecruitmentRoundModel.updateOne(
      { _id: roundId, status: 'closed', 'readinessRecord.rev': record.rev ?? { $exists: false } },
      {
        $set: {
          'readinessRecord.members': record.members.map((m) =>
            erased.has(String(m.userId)) ? { ...m, name: formerMemberName } : m,
          ),
        },
        $inc: { 'readinessRecord.rev': 1 },
      },
    );
    if (written.modifiedCount === 1) return;
  }
  throw new Error(`the readiness record of round ${String(roundId)} kept changing while names were being erased`);
}

/**
 * Governing boards: her memberships (board and her role, never the other members), the safer-recruitment training she
 * recorded elsewhere, the rounds she sat on, and her line in closed rounds' readiness records. Erasure keeps every
 * membership, training date and record line (a round's readiness and its history stay the same), removes the
 * evidence files she uploaded, and writes "Former member" where a closed record copied her name.
 */
export const boardsPersonalData = personalDataArea({
  area: 'boards',
  columns: {
    memberships: ['boardId', 'board', 'organisation', 'role'],
    externalCertificates: ['kind', 'provider', 'completedOn', 'expiresOn', 'hasFile', 'file', 'fileUrl', 'recordedAt'],
    panels: ['roundId', 'boardId', 'title', 'interviewDates', 'status'],
    readinessRecords: ['roundId', 'title', 'interviewDate', 'status', 'percent', 'certificateCode'],
  },
  async exportFor(userId) {
    const [boards, training, panels, records] = await Promise.all([
      BoardModel.find({ 'members.userId': userId }, { name: 1, organisation: 1, members: 1 }).lean(),
      ExternalCertificateModel.find({ userId }).select('+file').lean(),
      RecruitmentRoundModel.find({ panel: userId }, { title: 1, boardId: 1, interviewDates: 1, status: 1 }).lean(),
      recordsNaming(userId),
    ]);
    return {
      memberships: boards.map((b) => ({
        boardId: String(b._id),
        board: b.name,
        organisation: b.organisation,
        role: b.members.find((m) => String(m.userId) === String(userId))?.role ?? null,
      })),
      externalCertificates: training.map((t) => ({
        kind: t.kind,
        provider: t.provider,
        completedOn: t.completedOn,
        expiresOn: t.expiresOn,
        hasFile: t.hasFile,
        // The file itself is hers to download from the address given (it is kept as uploaded, up to 2 MB).
        file: t.hasFile && t.file ? { name: t.file.name, contentType: t.file.contentType, size: t.file.size } : null,
        fileUrl: t.hasFile ? absoluteUrl(`/external-certificates/${String(t._id)}/file`) : null,
        recordedAt: iso(t.createdAt),
      })),
      panels: panels.map((r) => ({
        roundId: String(r._id),
        boardId: String(r.boardId),
        title: r.title,
        interviewDates: r.interviewDates,
        status: r.status,
      })),
      readinessRecords: records.map((r) => {
        const own = r.readinessRecord!.members.find((m) => String(m.userId) === String(userId))!;
        return {
          roundId: String(r._id),
          title: r.title,
          interviewDate: r.readinessRecord!.interviewDate,
          status: own.status,
          percent: own.percent,
          certificateCode: own.certificateCode ?? null,
        };
      }),
    };
  },
  async eraseFor(userId) {
    // The chairs' "panel not ready" emails list her by name while she sits on a round's panel.
    const rounds = await RecruitmentRoundModel.distinct('_id', { panel: userId });
    await forgetNameInOthersNotifications({ userId, about: { type: 'round', ids: rounds } });
    await ExternalCertificateModel.updateMany(
      { userId, hasFile: true },
      { $unset: { file: 1 }, $set: { hasFile: false } },
    );
    // Only the copied name changes (her account is already `erased`): see nameNoErasedPersonInRecord.
    for (const round of await recordsNaming(userId)) await nameNoErasedPersonInRecord(round._id);
  },
});
