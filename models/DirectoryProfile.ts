import { Schema, Types, model, type InferSchemaType } from 'mongoose';
import { phases, topics } from '../server/vocabulary.ts';

export const directoryVisibilities = ['hidden', 'networks', 'everyone'] as const;
export type DirectoryVisibility = (typeof directoryVisibilities)[number];
export const openToOptions = ['mentoring', 'peer-support', 'speaking', 'research'] as const;
export type OpenTo = (typeof openToOptions)[number];

/**
 * A person's entry in the people directory, one per person: `_id` is her user id, so her own profile and a page of
 * profiles by id are `_id` lookups. Who may see it is decided on every read from `visibility` and her networks
 * (`networks`, below; the rule is server/services/directory/visibility.ts). Never holds an email.
 */
const directoryProfileSchema = new Schema(
  {
    _id: { type: Schema.Types.ObjectId, ref: 'User', required: true },
    visibility: { type: String, enum: directoryVisibilities, required: true, default: 'hidden' },
    /**
     * While an admin has disabled her account (or made her a researcher only): the visibility she had chosen, kept
     * here while `visibility` is `hidden` (so every read and index of the directory leaves her out), and put back when
     * she may be listed again (server/services/directory/profiles.ts directoryFollowsAccount). Absent otherwise.
     */
    chosenVisibility: { type: String, enum: [...directoryVisibilities, null], default: undefined },
    /**
     * Her account's name, copied (the directory lists and searches it without reading users), and the account
     * `version` it was copied at: only a later one replaces it (server/services/directory/profiles.ts
     * nameInDirectoryAfresh).
     */
    name: { type: String, required: true },
    nameVersion: { type: Number, default: undefined },
    headline: { type: String, default: '', maxlength: 160 },
    role: { type: String, default: '', maxlength: 120 },
    phase: { type: String, enum: [...phases, null], default: null },
    /** ISO 3166-1 alpha-2 (server/countries.ts). */
    country: { type: String, default: null },
    region: { type: String, default: '', maxlength: 120 },
    topics: { type: [String], enum: topics, default: [] },
    openTo: { type: [String], enum: openToOptions, default: [] },
    /**
     * Name, headline, role and region folded (foldedForSearch), for the free-text search (a plain substring match of
     * the query folded alike); `searchTextFolding` says which folding wrote it (server/services/directory/profiles.ts).
     */
    searchText: { type: String, default: '' },
    searchTextFolding: { type: Number, default: undefined },
    /**
     * The networks she is a current member of (id and name, by name), copied from her membership rows so that one
     * indexed query finds every profile a reader may see (a `networks` profile shares one of the reader's networks) and
     * her page lists hers without reading them, and the version it was written over
     * (server/services/directory/profileNetworks.ts). Leaving takes the network out before her row changes, so a
     * process stopping between the two leaves her seen by fewer people, never by more.
     */
    networks: {
      type: [
        new Schema({ _id: { type: Schema.Types.ObjectId, required: true }, name: { type: String } }, { _id: false }),
      ],
      default: undefined,
    },
    networksVersion: { type: Number, default: undefined },
    /**
     * Whether she has ever blocked someone or been blocked: `false` tells the directory her list needs no read of
     * blocks. Set on both people's profiles before and after a block's row is written, never unset (a lifted block
     * costs her that read from then on); missing (a profile from before the field) reads the blocks
     * (server/services/directory/blocks.ts).
     */
    inBlocks: { type: Boolean, default: undefined },
  },
  { timestamps: true },
);
/** "Everyone"-visible profiles, in id order (the directory's keyset). */
directoryProfileSchema.index({ visibility: 1, _id: 1 });
/** The same, filtered by country or by topic: equalities, then the keyset order, so a filtered page is bounded too. */
directoryProfileSchema.index({ country: 1, visibility: 1, _id: 1 });
directoryProfileSchema.index({ topics: 1, visibility: 1, _id: 1 });
/** The few withheld profiles (an account disabled), for the repair that puts back those whose account is enabled. */
directoryProfileSchema.index({ chosenVisibility: 1 });

export type DirectoryProfile = InferSchemaType<typeof directoryProfileSchema> & { _id: Types.ObjectId };
export const DirectoryProfileModel = model('DirectoryProfile', directoryProfileSchema);
