import { Schema, model } from 'mongoose';

/**
 * The demo data's load (server/demo/index.ts), one document: written before the first demo account, so a database
 * that holds it without `finishedAt` holds a demo whose load was cut short (a signal, a crash). `owner` is the process
 * loading it; it raises `beat` every few seconds, and another process takes the load over (conditional on the owner
 * and beat it saw) only once `beat` has stood still for a while, as counted on its own clock, or at once when its
 * owner stopped on a signal between two areas and said so in `handedOverAt`.
 */
const demoLoadSchema = new Schema(
  {
    _id: { type: String, required: true },
    owner: { type: String, required: true },
    beat: { type: Number, required: true, default: 0 },
    /** Set by an owner that stopped on a signal (Ctrl-C) between two areas: the next start takes over without waiting. */
    handedOverAt: { type: Date, default: null },
    /** Set when the load is over: `loaded`, or `left-as-found` when other accounts had appeared beside a cut load. */
    finishedAt: { type: Date, default: null },
    outcome: { type: String, enum: ['loaded', 'left-as-found'] },
  },
  { versionKey: false },
);

export const demoLoadId = 'demo-data';
export const DemoLoadModel = model('DemoLoad', demoLoadSchema);
