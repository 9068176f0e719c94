import type { Schema } from 'mongoose';

/**
 * A counter bumped by every write to programmes and modules made through mongoose in this process, so the
 * learning catalogue cache (server/services/learning/catalogue.ts) knows when to reload. Programmes and modules
 * are few and change rarely, while every learning page needs them.
 */
export const catalogueChanges = { version: 0 };

const writes = ['save', 'insertMany', 'updateOne', 'updateMany', 'replaceOne', 'deleteOne', 'deleteMany', 'findOneAndUpdate', 'findOneAndReplace', 'findOneAndDelete', 'bulkWrite'] as const;

export function trackCatalogueChanges(schema: Schema): void {
  const bump = () => void catalogueChanges.version++;
  for (const op of writes) {
    schema.pre(op as 'save', bump);
    schema.post(op as 'save', bump);
  }
}
