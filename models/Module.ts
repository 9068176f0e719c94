import { Schema, Types, model, type InferSchemaType } from 'mongoose';
import { backfillSubmissionKeys, submissionKeyPath } from '../server/submissions.ts';

export const completionTypes = ['view', 'reflection', 'quiz'] as const;
export type CompletionType = (typeof completionTypes)[number];

const questionSchema = new Schema(
  {
    prompt: { type: String, required: true },
    choices: { type: [String], required: true },
    /** Indexes of the correct choices; more than one makes it a multiple-choice question. Never sent to a learner before she passes. */
    correct: { type: [Number], required: true },
  },
  { _id: false },
);

const moduleSchema = new Schema(
  {
    programmeId: { type: Schema.Types.ObjectId, ref: 'Programme', required: true },
    title: { type: String, required: true, trim: true },
    /** Markdown, with HTML outside the safe list removed on save. */
    body: { type: String, required: true, default: '' },
    estimatedMinutes: { type: Number, required: true, min: 1, max: 1000 },
    resources: { type: [{ title: String, url: String, _id: false }], default: [] },
    prerequisites: { type: [Schema.Types.ObjectId], ref: 'Module', default: [] },
    completion: {
      type: { type: String, enum: completionTypes, required: true },
      passMark: { type: Number, min: 0, max: 100 },
      /** Reflection modules: the fewest words the author accepts (0 means any non-empty reflection). */
      minWords: { type: Number, min: 0, max: 500 },
      questions: { type: [questionSchema], default: undefined },
    },
    /**
     * Its place in the programme (ascending), its own under the unique index below; archived modules keep theirs.
     * Places need not be consecutive: a reorder moves modules to fresh places after the last one.
     */
    position: { type: Number, required: true },
    /** Archived modules keep their completions but no longer count towards progress. */
    archived: { type: Boolean, required: true, default: false },
    /** Bumped by every edit of the module's content: an edit is written only over the version it read. */
    version: { type: Number, default: 0 },
    /**
     * The first version whose quiz questions are the ones it has now (their prompts, choices and correct answers, in
     * their order): answers sent for a version from this one on are graded, older ones are a 409 (completion.ts). An
     * edit of the text alone leaves it, so a learner mid-quiz keeps her answers. Absent on a module no edit has
     * written since it came in: then every version before the current one counts as changed.
     */
    quizVersion: { type: Number },
    /**
     * Only on modules stored before places were unique: the place it had when `repairBeforeIndexes` first found its
     * programme's places shared. Set once, before any module of the programme moves, and kept, so that every process
     * repairing (at once, or after one stopped half-way) numbers from the same order.
     */
    positionBeforeRepair: { type: Number },
    /** Unique: the "Add a module" form sent twice (a double-click, an API retry with its key) adds one module. */
    submissionKey: submissionKeyPath,
    /** The hash of the request a client key came with (server/submissions.ts). */
    submissionFingerprint: { type: String },
  },
  {
    timestamps: true,
    // Built by connectDatabase after repairBeforeIndexes, never on their own: the unique index would not build on
    // a database where two modules of a programme share a place (see below).
    autoIndex: false,
    statics: {
      /**
       * Gives each module of a programme a place of its own, so that the unique index can be built. Before it,
       * two modules could share one: added at the same moment, or a reorder numbering the current modules 1, 2, 3…
       * over an archived module's place. Such a programme is renumbered 1, 2, 3… in the order it was shown (place,
       * then id), archived modules included. Nothing to do once the index exists.
       *
       * Several processes start at once, and one may stop half-way. So the order is fixed before anything moves:
       * each module first records its place as `positionBeforeRepair` (only where none is recorded, and only over
       * the place read), and the new places are numbered from those records. Every process then computes the same
       * places and writes them unconditionally; a numbering from places some other process had already moved
       * could put a module after one it came before. Returns how many modules were keyed or moved.
       */
      async repairBeforeIndexes(): Promise<number> {
        // Modules stored before adding one was keyed get a key of their own first (server/submissions.ts).
        const keyed = await backfillSubmissionKeys(this);
        const indexes = await this.collection.indexes().catch((error: { code?: number }) => {
          if (error.code === 26) return []; // NamespaceNotFound: no modules yet
          throw error;
        });
        if (indexes.some((i) => i.name === placeIndexName)) return keyed;
        let moved = keyed;
        for (let round = 0; round < 5; round += 1) {
          const rows = await this.find({}, { programmeId: 1, position: 1 }).lean();
          const programmes = new Map<string, typeof rows>();
          for (const m of rows) {
            const key = String(m.programmeId);
            if (!programmes.has(key)) programmes.set(key, []);
            programmes.get(key)!.push(m);
          }
          const shared = [...programmes.values()].filter((ms) => new Set(ms.map((m) => m.position)).size < ms.length);
          if (!shared.length) return moved;
          for (const modules of shared) {
            for (const m of modules) {
              await this.updateOne(
                { _id: m._id, position: m.position, positionBeforeRepair: { $exists: false } },
                { $set: { positionBeforeRepair: m.position } },
              );
            }
            // Read again: every module now has a record, written by this process or by one that moved it after.
            const recorded = await this.find(
              { programmeId: modules[0]!.programmeId },
              { position: 1, positionBeforeRepair: 1 },
            ).lean();
            const placeBefore = (m: (typeof recorded)[number]) => m.positionBeforeRepair ?? m.position;
            recorded.sort((a, b) => placeBefore(a) - placeBefore(b) || String(a._id).localeCompare(String(b._id)));
            for (const [index, m] of recorded.entries()) {
              if (m.position === index + 1) continue;
              const written = await this.updateOne({ _id: m._id }, { $set: { position: index + 1 } });
              moved += written.modifiedCount;
            }
          }
        }
        return moved;
      },
    },
  },
);
const placeIndexName = 'programmeId_1_position_1';
/** One module per place in a programme: adding, reordering and restoring rely on it (learning/programmes.ts). */
moduleSchema.index({ programmeId: 1, position: 1 }, { unique: true, name: placeIndexName });
moduleSchema.index({ programmeId: 1, archived: 1, position: 1 });
moduleSchema.index({ submissionKey: 1 }, { unique: true });

export type Module = InferSchemaType<typeof moduleSchema> & { _id: Types.ObjectId };
export const ModuleModel = model('Module', moduleSchema);
