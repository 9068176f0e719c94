import { expect } from 'chai';
import {
  canLinkBoard,
  canManageSignature,
  canModeratePledge,
  canReportOnCommitments,
} from '../../server/policies/pledge.ts';

const user = (email: string, roles: Express.User['roles'] = ['participant']): Express.User => ({
  id: 'u1',
  email,
  name: 'U',
  roles,
  timezone: 'UTC',
});
const org = { _id: 'a'.repeat(24), email: 'head@school.example', status: 'confirmed', kind: 'organisation' };

describe('pledge: policies', () => {
  it('the contact manages through a session grant or an account with the same email (any case), nobody else', () => {
    expect(canManageSignature({ grantedSignatureIds: [org._id] }, org)).to.equal(true);
    expect(canManageSignature({ user: user('HEAD@school.example'), grantedSignatureIds: [] }, org)).to.equal(true);
    expect(
      canManageSignature({ user: user('other@school.example', ['admin']), grantedSignatureIds: ['b'.repeat(24)] }, org),
    ).to.equal(false);
    expect(canManageSignature({ grantedSignatureIds: [] }, org)).to.equal(false);
  });

  it('an account whose address only an LMS vouched for is not the contact, nor links the board; proved, it is', () => {
    const lmsMade = { ...user('head@school.example', ['governor']), emailUnverified: true };
    expect(canManageSignature({ user: lmsMade, grantedSignatureIds: [] }, org)).to.equal(false);
    expect(canReportOnCommitments({ user: lmsMade, grantedSignatureIds: [] }, org)).to.equal(false);
    expect(canLinkBoard(lmsMade, org)).to.equal(false);
    // Her session grant from an emailed manage link still counts: the link went to the address.
    expect(canManageSignature({ user: lmsMade, grantedSignatureIds: [org._id] }, org)).to.equal(true);
    const proved = user('head@school.example', ['governor']);
    expect(canManageSignature({ user: proved, grantedSignatureIds: [] }, org)).to.equal(true);
    expect(canLinkBoard(proved, org)).to.equal(true);
  });

  it('a pending signature is managed by nobody; commitments are for organisations only', () => {
    expect(canManageSignature({ grantedSignatureIds: [org._id] }, { ...org, status: 'pending' })).to.equal(false);
    expect(canReportOnCommitments({ grantedSignatureIds: [org._id] }, { ...org, kind: 'individual' })).to.equal(false);
    expect(canReportOnCommitments({ grantedSignatureIds: [org._id] }, org)).to.equal(true);
  });

  it('admins moderate and may link boards; a contact links her own; others may not', () => {
    expect(canModeratePledge(user('x@y.z', ['admin']))).to.equal(true);
    expect(canModeratePledge(user('x@y.z', ['facilitator']))).to.equal(false);
    expect(canModeratePledge(undefined)).to.equal(false);
    expect(canLinkBoard(user('head@school.example', ['governor']), org)).to.equal(true);
    expect(canLinkBoard(user('x@y.z', ['admin']), org)).to.equal(true);
    expect(canLinkBoard(user('x@y.z', ['governor']), org)).to.equal(false);
    expect(canLinkBoard(user('head@school.example', ['governor']), { ...org, status: 'pending' })).to.equal(false);
  });
});
