import { expect } from 'chai';
import supertest from 'supertest';
import { PledgeAuditEntryModel } from '../../models/PledgeAuditEntry.ts';
import { PledgeProgressUpdateModel } from '../../models/PledgeProgressUpdate.ts';
import { PledgeSignatureModel } from '../../models/PledgeSignature.ts';
import { seedPledge } from '../../server/demo/pledge.ts';
import { testApp } from '../support/app.ts';
import { useTestDatabase } from '../support/db.ts';

describe('pledge: demo data', () => {
  useTestDatabase();

  it('gives a newcomer a living list: dozens confirmed across types and countries, some pending, one hidden with a reason, progress', async () => {
    await seedPledge({ people: new Map() });
    expect(await PledgeSignatureModel.countDocuments({ status: 'confirmed', hidden: false })).to.be.at.least(24);
    expect(await PledgeSignatureModel.countDocuments({ status: 'pending' })).to.be.at.least(1);
    expect(await PledgeAuditEntryModel.countDocuments({ action: 'hidden' })).to.equal(1);
    expect(await PledgeProgressUpdateModel.countDocuments()).to.be.at.least(5);
    const res = await supertest(testApp()).get('/api/v1/pledge/signatures?limit=200').expect(200);
    expect(Object.keys(res.body.counts.byType)).to.include.members([
      'school',
      'trust',
      'governing-board',
      'leadership-organisation',
      'government',
      'individual',
    ]);
    expect(new Set(res.body.items.map((i: { country: string }) => i.country))).to.include.members(['GB', 'IE', 'CA']);
    expect(res.body.items.map((i: { name: string }) => i.name)).to.not.include('Teach Forward Foundation');
  });
});
