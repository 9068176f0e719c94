import { Schema, model, type InferSchemaType } from 'mongoose';
import { tracks } from './Programme.ts';
import { genderCategories, recruitmentStages } from './RecruitmentRound.ts';

/**
 * A derived record: the research figures of one cohort, computed from the source collections by
 * server/services/research/cohortFigures.ts (the impact dashboard sums these instead of reading every participant's
 * records; README "Research figures"). One record per cohort (_id = the cohort's id), split by enrolment day so the
 * dashboard's date range stays exact. Only consenting participants are in it, as of `computedAt`.
 *
 * Correct with several processes: a computation first takes a ticket (`$inc` on `ticket`, atomic on one document),
 * reads the sources, and writes only if the stored `version` is older than its ticket. A slower, older computation
 * therefore never overwrites a newer one, and two computations at once leave the newer one's figures.
 */
const likertSumSchema = new Schema(
  { sum: { type: Number, required: true }, n: { type: Number, required: true } },
  {
    _id: false,
  },
);

/** The figures of one enrolment day: the cohort records' buckets and the programme records' day totals hold the same. */
const dayFigureFields = {
  /** Counted enrolments (one per person in a cohort). */
  participants: { type: Number, required: true },
  /** Of those, enrolments with a certificate for this cohort. */
  completed: { type: Number, required: true },
  /** Enrolments with at least one session marked present, late or absent. */
  marked: { type: Number, required: true },
  /** Sessions marked present or late, and present, late or absent, over the marked enrolments. */
  attended: { type: Number, required: true },
  sessions: { type: Number, required: true },
  /** Enrolments whose participant recorded that step within 12 months of the enrolment day, while consenting. */
  applied: { type: Number, required: true },
  interviewed: { type: Number, required: true },
  appointed: { type: Number, required: true },
  /**
   * `scope:counter:day` (scope programme, track or all; counter participants, marked or an outcome) → how many of
   * the enrolments counted here are a person's second or later in that scope, her previous one on that enrolment day:
   * the dashboard subtracts them to count people (server/services/research/figureSums.ts). A programme's `total`
   * keys them `scope:counter` (no range cuts it).
   */
  repeats: { type: Map, of: Number, default: {} },
  /** Per survey moment, per question id: the sum and number of numeric (Likert) answers. */
  likertStart: { type: Map, of: likertSumSchema, default: {} },
  likertEnd: { type: Map, of: likertSumSchema, default: {} },
};

const bucketSchema = new Schema(
  {
    /** Enrolment day (UTC calendar date) of the enrolments counted in this bucket. */
    day: { type: String, required: true },
    ...dayFigureFields,
  },
  { _id: false },
);

const researchCohortFiguresSchema = new Schema(
  {
    _id: { type: Schema.Types.ObjectId, ref: 'Cohort', required: true },
    programmeId: { type: Schema.Types.ObjectId, ref: 'Programme', required: true },
    track: { type: String, enum: tracks, required: true },
    /** Tickets handed out to computations (atomic `$inc`); the order of computations. */
    ticket: { type: Number, required: true, default: 0 },
    /** The ticket of the computation whose figures are stored; 0 before the first one finishes. */
    version: { type: Number, required: true, default: 0 },
    /** When that computation started: its figures reflect every change made before this instant. */
    computedAt: { type: Date, default: null },
    buckets: { type: [bucketSchema], default: [] },
  },
  { timestamps: false, versionKey: false },
);
researchCohortFiguresSchema.index({ programmeId: 1 });

export type ResearchCohortFigures = InferSchemaType<typeof researchCohortFiguresSchema>;
export type FiguresBucket = InferSchemaType<typeof bucketSchema>;
export const ResearchCohortFiguresModel = model('ResearchCohortFigures', researchCohortFiguresSchema);

/**
 * The second level: one record per programme, rolled up from its cohorts' records (never from the source) with the
 * same ticket and conditional write. It holds what a dashboard over all time needs (`total`) and a row per calendar
 * month (`months`), so a request reads one small document per programme whatever the number of cohorts and of
 * enrolment days: a date range adds whole months from here and reads day rows only for the (at most two) months it
 * cuts through, from ResearchProgrammeMonth below.
 */
const periodTotalsFields = {
  ...dayFigureFields,
  /** Cohorts with counted enrolments in the period (a cohort's enrolments may span days and months). */
  cohortIds: { type: [Schema.Types.ObjectId], default: [] },
};

const dayTotalsSchema = new Schema({ day: { type: String, required: true }, ...periodTotalsFields }, { _id: false });
/** `month`: YYYY-MM, the UTC calendar month of the enrolment days summed. */
const monthTotalsSchema = new Schema(
  { month: { type: String, required: true }, ...periodTotalsFields },
  { _id: false },
);
/** Every enrolment day; `cohorts` counts the cohorts with counted enrolments. */
const totalSchema = new Schema({ ...dayFigureFields, cohorts: { type: Number, required: true } }, { _id: false });

/** A Likert question of one of the programme's surveys (surveys are never edited, so a copy stays true). */
const likertQuestionSchema = new Schema(
  {
    surveyId: { type: Schema.Types.ObjectId, ref: 'Survey', required: true },
    id: { type: String, required: true },
    prompt: { type: String, required: true },
  },
  { _id: false },
);

const researchProgrammeFiguresSchema = new Schema(
  {
    _id: { type: Schema.Types.ObjectId, ref: 'Programme', required: true },
    ticket: { type: Number, required: true, default: 0 },
    version: { type: Number, required: true, default: 0 },
    /**
     * Copied from the programme and its surveys by each roll-up, so the dashboard reads these records alone: its
     * programme filter and the Likert items' prompts. A programme's creation or renaming and a new survey roll it up
     * at once (README "Research figures"); a record without a title was written before these fields existed.
     */
    title: { type: String },
    track: { type: String, enum: tracks },
    likertQuestions: { type: [likertQuestionSchema], default: undefined },
    /** The oldest `computedAt` of the cohort records summed here: how fresh the figures are. */
    computedAt: { type: Date, default: null },
    total: { type: totalSchema, default: null },
    months: { type: [monthTotalsSchema], default: [] },
  },
  { timestamps: false, versionKey: false },
);

export const ResearchProgrammeFiguresModel = model('ResearchProgrammeFigures', researchProgrammeFiguresSchema);

/**
 * A programme's figures by enrolment day for one month (`_id` = `<programmeId>:<YYYY-MM>`), written by the same
 * roll-up as the programme's record, before it, each conditional on the roll-up's ticket (`version` below it), so an
 * older roll-up never overwrites a newer one's days. Months that no longer have any day are deleted by the roll-up
 * that finds them gone.
 */
const researchProgrammeMonthSchema = new Schema(
  {
    _id: { type: String, required: true },
    programmeId: { type: Schema.Types.ObjectId, ref: 'Programme', required: true },
    month: { type: String, required: true },
    version: { type: Number, required: true },
    days: { type: [dayTotalsSchema], default: [] },
  },
  { timestamps: false, versionKey: false },
);
researchProgrammeMonthSchema.index({ programmeId: 1 });

export const ResearchProgrammeMonthModel = model('ResearchProgrammeMonth', researchProgrammeMonthSchema);

/** Counts per gender category (the boards' vocabulary, models/RecruitmentRound.ts), summed over rounds. */
const genderCountsSchema = new Schema(
  Object.fromEntries(genderCategories.map((c) => [c, { type: Number, required: true }])),
  { _id: false },
);

/**
 * The third level, one document (`_id` "all"): what the impact dashboard over all time shows, in one read. Each
 * programme's record without its months (title, track, totals, Likert questions), and the sums over every closed
 * recruitment round (panels' readiness and training, the boards' gender figures, unsuppressed: suppression is applied
 * when read, as for every other figure). Rebuilt, with the same ticket and conditional write, after each programme
 * roll-up and when a round closes or its figures are recorded (README "Research figures"); a date range still reads the
 * programme records, their months and the rounds closed in it.
 */
const researchOverviewSchema = new Schema(
  {
    _id: { type: String, required: true },
    ticket: { type: Number, required: true, default: 0 },
    version: { type: Number, required: true, default: 0 },
    computedAt: { type: Date, default: null },
    programmes: {
      type: [
        new Schema(
          {
            programmeId: { type: Schema.Types.ObjectId, ref: 'Programme', required: true },
            title: { type: String, required: true },
            track: { type: String, enum: tracks, required: true },
            computedAt: { type: Date, default: null },
            total: { type: totalSchema, default: null },
            likertQuestions: { type: [likertQuestionSchema], default: [] },
          },
          { _id: false },
        ),
      ],
      default: [],
    },
    recruitment: {
      type: new Schema(
        {
          /** Closed rounds with a readiness record, those whose whole panel was ready, members and trained members. */
          recordedRounds: { type: Number, required: true },
          readyBeforeInterview: { type: Number, required: true },
          panelMembers: { type: Number, required: true },
          trainedMembers: { type: Number, required: true },
          /** Closed rounds with any gender figure (`rounds`), and the figures' sums per stage. */
          figures: {
            type: new Schema(
              {
                rounds: { type: Number, required: true },
                ...Object.fromEntries(
                  recruitmentStages.map((stage) => [stage, { type: genderCountsSchema, required: true }]),
                ),
              },
              { _id: false },
            ),
            required: true,
          },
        },
        { _id: false },
      ),
      default: null,
    },
  },
  { timestamps: false, versionKey: false },
);

export const ResearchOverviewModel = model('ResearchOverview', researchOverviewSchema);
