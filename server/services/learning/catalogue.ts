import mongoose from 'mongoose';
import { catalogueChanges } from '../../../models/catalogueChanges.ts';
import { ModuleModel, type Module } from '../../../models/Module.ts';
import { ProgrammeModel, type Programme } from '../../../models/Programme.ts';

/**
 * Every programme and module, cached in this process: a handful of documents that every learning page needs and
 * that change only when someone authors them. The cache reloads after any write through mongoose in this process
 * (models/catalogueChanges.ts) and at most a minute after a write elsewhere (another process, a script).
 */
const maxAgeMs = 60_000;
type Catalogue = { programmes: Programme[]; modules: Module[]; programmeById: Map<string, Programme>; moduleById: Map<string, Module> };
let cached: { at: number; version: number; database: string; data: Catalogue } | null = null;
let loading: { version: number; database: string; promise: Promise<Catalogue> } | null = null;

async function load(): Promise<Catalogue> {
  const [programmes, modules] = await Promise.all([ProgrammeModel.find({}).lean<Programme[]>(), ModuleModel.find({}).sort({ position: 1, _id: 1 }).lean<Module[]>()]);
  return { programmes, modules, programmeById: new Map(programmes.map((p) => [String(p._id), p])), moduleById: new Map(modules.map((m) => [String(m._id), m])) };
}

export async function catalogue(): Promise<Catalogue> {
  const version = catalogueChanges.version;
  // Keyed by database too: tests (and scripts) reconnect the same process to another database.
  const database = mongoose.connection.name;
  if (cached && cached.version === version && cached.database === database && Date.now() - cached.at < maxAgeMs) return cached.data;
  if (!loading || loading.version !== version || loading.database !== database) {
    const promise = load();
    loading = { version, database, promise };
    promise.then(
      (data) => {
        // Keep it only if nothing was written while it loaded.
        if (catalogueChanges.version === version && mongoose.connection.name === database) cached = { at: Date.now(), version, database, data };
      },
      () => undefined,
    );
  }
  return loading.promise.finally(() => {
    if (loading?.version === version) loading = null;
  });
}

/** A programme's modules in order (current ones only unless asked). */
export async function catalogueModules(programmeId: string, { includeArchived = false } = {}): Promise<Module[]> {
  const { modules } = await catalogue();
  const own = modules.filter((m) => String(m.programmeId) === programmeId && (includeArchived || !m.archived));
  return includeArchived ? [...own.filter((m) => !m.archived), ...own.filter((m) => m.archived)] : own;
}
