import { Schema, Types, model } from 'mongoose';

/**
 * Read models of learning progress, keyed by _id so every page reads them with one primary-key lookup.
 * FerretDB 1.x (SQLite) pushes down only `_id` equality: any other filter, indexed or not, scans the whole
 * collection (measured: 2.5 s for 15,000 completions on the shared test machine). Completion, Enrolment and
 * Certificate stay the source of truth; these documents are derived from them (server/services/learning/records.ts)
 * and can be rebuilt from them at any time.
 */
/**
 * Each record is stored as one JSON string (`payload`): FerretDB converts every value of a document on each read
 * and write, and a cohort of 30 with its completed modules as objects cost 3.0 ms of its CPU per read against
 * 0.6 ms as one string (measured). `encode…`/`read…` below are the only way in and out; a document without a
 * payload (an older shape) reads as missing, so it is rebuilt from the truth.
 */
export type LearnerEnrolment = {
  cohortId: Types.ObjectId; programmeId: Types.ObjectId; cohortName: string; enrolledAt?: Date | null;
  /** Module ids completed in this cohort (archived ones included; progress filters to current modules). */
  completed: Types.ObjectId[];
  lastActivityAt: Date | null; certificateId: Types.ObjectId | null; certificateExpiresAt: Date | null;
};
/** One per person (_id = her user id): her active enrolments and what she completed in each. */
export type LearnerRecord = { _id: Types.ObjectId; enrolments: LearnerEnrolment[]; rebuiltAt?: Date };
/** One per cohort (_id = the cohort's id): its active participants' progress and the reflections shared with its facilitators. */
export type CohortMember = { userId: Types.ObjectId; name: string; completed: Types.ObjectId[]; lastActivityAt: Date | null };
export type SharedReflection = { completionId: Types.ObjectId; userId: Types.ObjectId; moduleId: Types.ObjectId; reflection: string; completedAt: Date };
export type CohortRecord = { _id: Types.ObjectId; programmeId: Types.ObjectId; members: CohortMember[]; sharedReflections: SharedReflection[]; rebuiltAt?: Date };

const storedSchema = () => new Schema({ payload: { type: String, required: true }, rebuiltAt: { type: Date } }, { versionKey: false });
export const LearnerRecordModel = model('LearnerRecord', storedSchema());
export const CohortRecordModel = model('CohortRecord', storedSchema());

type Stored = { _id: Types.ObjectId; payload?: unknown; rebuiltAt?: Date };
type Json = Record<string, unknown>;
const oid = (v: unknown) => new Types.ObjectId(String(v));
const date = (v: unknown) => (v ? new Date(String(v)) : null);

export const encodeLearnerRecord = (r: LearnerRecord) => ({ _id: r._id, payload: JSON.stringify({ enrolments: r.enrolments }), rebuiltAt: r.rebuiltAt });
export const encodeCohortRecord = (r: CohortRecord) => ({ _id: r._id, payload: JSON.stringify({ programmeId: r.programmeId, members: r.members, sharedReflections: r.sharedReflections }), rebuiltAt: r.rebuiltAt });

function decodeLearnerRecord(doc: Stored | null): LearnerRecord | null {
  if (!doc || typeof doc.payload !== 'string') return null;
  const data = JSON.parse(doc.payload) as { enrolments: Json[] };
  return {
    _id: doc._id,
    rebuiltAt: doc.rebuiltAt,
    enrolments: data.enrolments.map((e) => ({
      cohortId: oid(e.cohortId), programmeId: oid(e.programmeId), cohortName: String(e.cohortName ?? ''), enrolledAt: date(e.enrolledAt),
      completed: (e.completed as unknown[]).map(oid), lastActivityAt: date(e.lastActivityAt),
      certificateId: e.certificateId ? oid(e.certificateId) : null, certificateExpiresAt: date(e.certificateExpiresAt),
    })),
  };
}

function decodeCohortRecord(doc: Stored | null): CohortRecord | null {
  if (!doc || typeof doc.payload !== 'string') return null;
  const data = JSON.parse(doc.payload) as { programmeId: string; members: Json[]; sharedReflections: Json[] };
  return {
    _id: doc._id,
    rebuiltAt: doc.rebuiltAt,
    programmeId: oid(data.programmeId),
    members: data.members.map((m) => ({ userId: oid(m.userId), name: String(m.name ?? ''), completed: (m.completed as unknown[]).map(oid), lastActivityAt: date(m.lastActivityAt) })),
    sharedReflections: data.sharedReflections.map((r) => ({ completionId: oid(r.completionId), userId: oid(r.userId), moduleId: oid(r.moduleId), reflection: String(r.reflection ?? ''), completedAt: date(r.completedAt)! })),
  };
}

/** Her record, or null when it was never built. One read by _id. */
export const readLearnerRecord = async (userId: Types.ObjectId) => decodeLearnerRecord(await LearnerRecordModel.findById(userId).lean<Stored>());
/** The cohort's record, or null when it was never built. One read by _id. */
export const readCohortRecord = async (cohortId: Types.ObjectId) => decodeCohortRecord(await CohortRecordModel.findById(cohortId).lean<Stored>());
