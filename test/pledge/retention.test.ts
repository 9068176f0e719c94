import { expect } from 'chai';
import mongoose from 'mongoose';
import { removeExpiredRecords } from '../../jobs/maintenance.ts';
import { PledgeLinkModel } from '../../models/PledgeLink.ts';
import { PledgeSignatureModel } from '../../models/PledgeSignature.ts';
import { issuePledgeLink } from '../../server/services/pledge/links.ts';
import { purgeStalePledgeData } from '../../server/services/pledge/retention.ts';
import { useTestDatabase } from '../support/db.ts';
import { holdNextCall } from '../support/heldCall.ts';
import { buildSignature } from '../support/pledgeFactories.ts';

const day = 24 * 60 * 60 * 1000;

/** Moves a signature's last change into the past, as if nothing had happened to it since. */
async function lastChanged(id: string, at: Date) {
  await PledgeSignatureModel.collection.updateOne(
    { _id: new mongoose.Types.ObjectId(id) },
    { $set: { updatedAt: at } },
  );
}

describe('pledge: what is not kept (the maintenance job)', () => {
  useTestDatabase();

  it('deletes a signature left unconfirmed for a month, with its links; keeps recent pending and every confirmed one', async () => {
    const now = new Date();
    const abandoned = await buildSignature({ status: 'pending', name: 'Never Confirmed Academy' });
    const recent = await buildSignature({ status: 'pending', name: 'Still Deciding School' });
    const confirmed = await buildSignature({ status: 'confirmed', name: 'Long Standing Trust' });
    await issuePledgeLink({ purpose: 'confirm', signatureId: abandoned.id, now: new Date(now.getTime() - 31 * day) });
    await lastChanged(abandoned.id, new Date(now.getTime() - 31 * day));
    await lastChanged(recent.id, new Date(now.getTime() - 29 * day));
    await lastChanged(confirmed.id, new Date(now.getTime() - 400 * day));

    const result = await removeExpiredRecords(now);

    expect(result.pledge.signatures).to.equal(1);
    expect(await PledgeSignatureModel.exists({ _id: abandoned.id })).to.equal(null);
    expect(await PledgeLinkModel.countDocuments({ signatureId: abandoned.id })).to.equal(0);
    expect(await PledgeSignatureModel.exists({ _id: recent.id })).to.not.equal(null);
    expect(await PledgeSignatureModel.exists({ _id: confirmed.id })).to.not.equal(null);
  });

  it('a signer who signs again while the purge runs keeps her signature and the link she was just sent', async () => {
    const now = new Date();
    const signature = await buildSignature({ status: 'pending', name: 'Comes Back Late Academy' });
    await issuePledgeLink({ purpose: 'confirm', signatureId: signature.id, now: new Date(now.getTime() - 31 * day) });
    await lastChanged(signature.id, new Date(now.getTime() - 31 * day));
    // The purge has listed her signature as stale; she signs again before it deletes anything.
    const held = holdNextCall(PledgeSignatureModel, 'find', { lean: true });
    try {
      const purging = purgeStalePledgeData(now);
      await held.reached;
      held.restore();
      await PledgeSignatureModel.updateOne({ _id: signature.id }, { $set: { name: 'Comes Back Late Academy Trust' } });
      await issuePledgeLink({ purpose: 'confirm', signatureId: signature.id, now });
      held.release();
      expect((await purging).signatures).to.equal(0);
    } finally {
      held.release();
      held.restore();
    }
    expect(await PledgeSignatureModel.exists({ _id: signature.id })).to.not.equal(null);
    expect(await PledgeLinkModel.countDocuments({ signatureId: signature.id, expiresAt: { $gt: now } })).to.equal(1);
  });

  it('forgets details typed again for a confirmed signature whose new link was never followed within a month', async () => {
    const now = new Date();
    const stale = await buildSignature({ status: 'confirmed', kind: 'individual', name: 'Confirmed Carys' });
    const fresh = await buildSignature({ status: 'confirmed', kind: 'individual', name: 'Confirmed Delyth' });
    // What signing again after confirming stores until its new link is followed (services/pledge/signing.ts).
    const typedAgain = (name: string) => ({ name, role: 'Deputy head', region: 'Wales', country: 'GB' });
    for (const [signature, daysAgo] of [
      [stale, 31],
      [fresh, 29],
    ] as const)
      await PledgeSignatureModel.collection.updateOne(
        { _id: new mongoose.Types.ObjectId(signature.id) },
        {
          $set: {
            pendingChanges: typedAgain(`Unproven ${signature.id}`),
            updatedAt: new Date(now.getTime() - daysAgo * day),
          },
        },
      );

    await removeExpiredRecords(now);

    const [staleAfter, freshAfter] = await Promise.all([
      PledgeSignatureModel.findById(stale.id).lean(),
      PledgeSignatureModel.findById(fresh.id).lean(),
    ]);
    expect(staleAfter!.pendingChanges ?? null).to.equal(null);
    expect(staleAfter).to.include({ status: 'confirmed', name: 'Confirmed Carys' });
    expect(freshAfter!.pendingChanges).to.include({ name: `Unproven ${fresh.id}` });
  });

  it('deletes links a month past their expiry and keeps younger ones (so "used" and "expired" stay explained)', async () => {
    const now = new Date();
    const signature = await buildSignature({ status: 'confirmed' });
    await issuePledgeLink({ purpose: 'manage', signatureId: signature.id, now: new Date(now.getTime() - 32 * day) });
    await issuePledgeLink({ purpose: 'manage', signatureId: signature.id, now: new Date(now.getTime() - 10 * day) });
    const result = await removeExpiredRecords(now);
    expect(result.pledge.links).to.equal(1);
    expect(await PledgeLinkModel.countDocuments({ signatureId: signature.id })).to.equal(1);
  });

  it('removes web sessions past their expiry and keeps live ones', async () => {
    const sessions = mongoose.connection.db!.collection<{ _id: string; expires: Date; session: string }>('sessions');
    await sessions.insertMany([
      { _id: 'expired-session', expires: new Date(Date.now() - 1000), session: '{}' },
      { _id: 'live-session', expires: new Date(Date.now() + 60_000), session: '{}' },
    ]);
    await removeExpiredRecords(new Date());
    expect((await sessions.find({}).toArray()).map((s) => s._id)).to.deep.equal(['live-session']);
  });
});
