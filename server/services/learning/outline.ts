import type { Types } from 'mongoose';
import { ModuleModel, type Module } from '../../../models/Module.ts';
import { ProgrammeModel } from '../../../models/Programme.ts';
import { writeCopyOverVersion } from '../../derivedCopies.ts';
import { oid } from '../../ids.ts';

/**
 * A programme's outline: its modules as a learner's home page lists them (order, title, minutes, prerequisites, how
 * each is completed, archived or not), kept on the programme (`Programme.outline`) so that page reads no module.
 * Measured (README "Derived records"): the modules were the costliest of the page's nine reads, because each module
 * document carries its body and quiz, and the page missed its share of `/healthz` with them.
 *
 * Correct with several processes (server/derivedCopies.ts), on the version `outlineVersion` that every module change
 * moves on:
 * - whoever adds, edits, archives, restores or moves a module writes the module first, then moves the version on and
 *   writes the outline again (outlineChanged, called by learning/programmes.ts and coreProgrammes.ts);
 * - the outline is computed after reading the version, and written only over that version: one computed before a
 *   change that completed meanwhile matches nothing and is computed again, so the outline stored is never older than
 *   the last module change whose writer has returned;
 * - writing it again from the modules is idempotent, so the hourly repair (showAllOutlines, jobs/learning.ts, also
 *   run at start) heals an outline left behind by a process that stopped between a module change and its outline.
 * What must be exact (progress, prerequisites when completing, certificates) reads the modules themselves.
 */
export type OutlineEntry = {
  _id: Types.ObjectId;
  title: string;
  estimatedMinutes: number;
  prerequisites: Types.ObjectId[];
  completionType: string;
  archived: boolean;
};

type Id = Types.ObjectId | string;

/** The outline as the modules are now: current ones in their order, then archived ones in theirs. */
export async function outlineFromModules(programmeId: Id): Promise<OutlineEntry[]> {
  const modules = await ModuleModel.find(
    { programmeId: oid(programmeId) },
    { title: 1, estimatedMinutes: 1, prerequisites: 1, 'completion.type': 1, archived: 1 },
  )
    .sort({ position: 1, _id: 1 })
    .lean<Module[]>();
  const entries = modules.map((m) => ({
    _id: m._id,
    title: m.title,
    estimatedMinutes: m.estimatedMinutes,
    prerequisites: m.prerequisites ?? [],
    completionType: m.completion?.type ?? 'view',
    archived: m.archived === true,
  }));
  return [...entries.filter((e) => !e.archived), ...entries.filter((e) => e.archived)];
}

/** Writes the programme's outline again from its modules, over the version it was computed at. */
export async function showOutline(programmeId: Id): Promise<void> {
  const id = oid(programmeId);
  await writeCopyOverVersion({
    // A programme stored before outlineVersion has none: null matches the missing field.
    readVersion: async () => {
      const programme = await ProgrammeModel.findById(id).select({ outlineVersion: 1 }).lean();
      return programme ? (programme.outlineVersion ?? null) : undefined;
    },
    compute: () => outlineFromModules(id),
    writeOver: async (version, outline) =>
      // A copy, not an edit: the programme's own updatedAt stays.
      (
        await ProgrammeModel.updateOne(
          { _id: id, outlineVersion: version },
          { $set: { outline } },
          { timestamps: false },
        )
      ).matchedCount === 1,
  });
}

/** After a module of the programme changed (its write has returned): moves the version on, then writes the outline. */
export async function outlineChanged(programmeId: Id): Promise<void> {
  await ProgrammeModel.updateOne({ _id: oid(programmeId) }, { $inc: { outlineVersion: 1 } }, { timestamps: false });
  await showOutline(programmeId);
}

/** Every programme's outline from its modules (the hourly `learning:repair-copies` job, and at start). */
export async function showAllOutlines(): Promise<void> {
  for (const programme of await ProgrammeModel.find().select({ _id: 1 }).lean()) await showOutline(programme._id);
}
