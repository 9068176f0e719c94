import { expect } from 'chai';
import {
  daysUntil,
  endOfInterviewDay,
  interviewDays,
  memberReadiness,
  readinessStatuses,
} from '../../server/services/boards/readiness.ts';

const issued = new Date('2025-01-10T10:00:00Z');

describe('boards: readiness of a panel member (the rule)', () => {
  it('is valid when a certificate lasts beyond the interview day', () => {
    const r = memberReadiness({
      interviewDate: '2027-03-10',
      timezone: 'Europe/London',
      certificates: [{ issuedAt: issued, expiresAt: new Date('2028-01-10T10:00:00Z') }],
      enrolmentPercents: [],
    });
    expect(r.status).to.equal('valid');
    expect(r.percent).to.equal(100);
    expect(r.certificateExpiresAt?.toISOString()).to.equal('2028-01-10T10:00:00.000Z');
  });

  it('is valid when the certificate does not expire at all', () => {
    expect(
      memberReadiness({
        interviewDate: '2027-03-10',
        timezone: 'Europe/London',
        certificates: [{ issuedAt: issued, expiresAt: null }],
        enrolmentPercents: [],
      }).status,
    ).to.equal('valid');
  });

  it('a round of several interview days: she must be trained by the end of the first and stay so through the last', () => {
    const days = interviewDays(['2027-03-15', '2027-03-01', '2027-03-08']);
    expect(days).to.deep.equal({ interviewDate: '2027-03-01', validThrough: '2027-03-15' });
    const rule = (certificate: { issuedAt: Date; expiresAt: Date | null }) =>
      memberReadiness({ ...days, timezone: 'Europe/London', certificates: [certificate], enrolmentPercents: [] });
    // Issued between the first and the last day: she interviewed untrained on 1 March.
    const betweenDays = rule({ issuedAt: new Date('2027-03-10T10:00:00Z'), expiresAt: null });
    expect(betweenDays.status).to.equal('not-started');
    expect(betweenDays.certificateAfterDay?.issuedAt.toISOString()).to.equal('2027-03-10T10:00:00.000Z');
    // Issued on the first day itself still counts, as for a round of one day.
    expect(rule({ issuedAt: new Date('2027-03-01T17:00:00Z'), expiresAt: null }).status).to.equal('valid');
    // Lapsing between the days: she would interview on 15 March with training lapsed.
    const lapsing = rule({ issuedAt: issued, expiresAt: new Date('2027-03-10T00:00:00Z') });
    expect(lapsing.status).to.equal('expires-before-interview');
    // Her renewal must be held on 1 March (the first day), not merely before her lapse on 10 March.
    expect(lapsing.renewBy?.toISOString()).to.equal('2027-03-01T00:00:00.000Z');
    expect(rule({ issuedAt: issued, expiresAt: new Date('2027-03-16T00:00:00Z') }).status).to.equal('valid');
  });

  it('is expires-before-interview when her only certificate lapses before the day ends', () => {
    const r = memberReadiness({
      interviewDate: '2027-03-10',
      timezone: 'Europe/London',
      certificates: [{ issuedAt: issued, expiresAt: new Date('2027-03-01T00:00:00Z') }],
      enrolmentPercents: [],
    });
    expect(r.status).to.equal('expires-before-interview');
    expect(r.certificateExpiresAt?.toISOString()).to.equal('2027-03-01T00:00:00.000Z');
  });

  it('is in-progress with the percent of her most advanced enrolment', () => {
    const r = memberReadiness({
      interviewDate: '2027-03-10',
      timezone: 'Europe/London',
      certificates: [],
      enrolmentPercents: [20, 60],
    });
    expect(r).to.deep.equal({ status: 'in-progress', percent: 60 });
  });

  it('is expires-before-interview (not in-progress) when she holds a lapsing certificate and has completed modules towards renewing it, and says renew by the lapse', () => {
    const r = memberReadiness({
      interviewDate: '2027-03-10',
      timezone: 'Europe/London',
      certificates: [{ issuedAt: issued, expiresAt: new Date('2027-03-01T00:00:00Z') }],
      enrolmentPercents: [50],
      now: new Date('2027-01-01T00:00:00Z'),
    });
    expect(r.status).to.equal('expires-before-interview');
    expect(r.percent).to.equal(50);
    expect(r.renewBy?.toISOString()).to.equal('2027-03-01T00:00:00.000Z');
  });

  it('says renew before the interview day (board zone) when her certificate has already lapsed', () => {
    const r = memberReadiness({
      interviewDate: '2027-06-10',
      timezone: 'Europe/London',
      certificates: [{ issuedAt: issued, expiresAt: new Date('2027-03-01T00:00:00Z') }],
      enrolmentPercents: [],
      now: new Date('2027-04-01T00:00:00Z'),
    });
    expect(r.status).to.equal('expires-before-interview');
    expect(r.renewBy?.toISOString()).to.equal('2027-06-09T23:00:00.000Z');
  });

  it('orders the statuses valid, expires-before-interview, in-progress, not-started', () => {
    expect([...readinessStatuses]).to.deep.equal(['valid', 'expires-before-interview', 'in-progress', 'not-started']);
  });

  it('is not-started when enrolled with nothing completed, or not enrolled at all', () => {
    expect(
      memberReadiness({
        interviewDate: '2027-03-10',
        timezone: 'Europe/London',
        certificates: [],
        enrolmentPercents: [0],
      }),
    ).to.deep.equal({ status: 'not-started', percent: 0 });
    expect(
      memberReadiness({
        interviewDate: '2027-03-10',
        timezone: 'Europe/London',
        certificates: [],
        enrolmentPercents: [],
      }),
    ).to.deep.equal({ status: 'not-started', percent: 0 });
  });

  it('counts a certificate expiring exactly at the end of the interview day in the board zone, and not one expiring a moment earlier', () => {
    // 10 June 2027 ends at 2027-06-10T23:00Z in London (BST).
    const end = endOfInterviewDay('2027-06-10', 'Europe/London');
    expect(end.toISOString()).to.equal('2027-06-10T23:00:00.000Z');
    const at = (expiresAt: Date) =>
      memberReadiness({
        interviewDate: '2027-06-10',
        timezone: 'Europe/London',
        certificates: [{ issuedAt: issued, expiresAt }],
        enrolmentPercents: [],
      }).status;
    expect(at(new Date('2027-06-10T23:00:00Z'))).to.equal('valid');
    expect(at(new Date('2027-06-10T22:59:59Z'))).to.equal('expires-before-interview');
  });

  it('judges expiry on the interview date by the board zone, not UTC', () => {
    // Expires 2027-06-10T23:30Z: still 10 June in UTC, but already 11 June in London and 10 June evening in New York.
    const certificates = [{ issuedAt: issued, expiresAt: new Date('2027-06-10T23:30:00Z') }];
    expect(
      memberReadiness({ interviewDate: '2027-06-10', timezone: 'Europe/London', certificates, enrolmentPercents: [] })
        .status,
    ).to.equal('valid');
    expect(
      memberReadiness({ interviewDate: '2027-06-10', timezone: 'UTC', certificates, enrolmentPercents: [] }).status,
    ).to.equal('expires-before-interview');
    expect(
      memberReadiness({
        interviewDate: '2027-06-10',
        timezone: 'America/New_York',
        certificates,
        enrolmentPercents: [],
      }).status,
    ).to.equal('expires-before-interview');
  });

  it('does not count a certificate expiring at midnight at the start of the interview date', () => {
    const certificates = [{ issuedAt: issued, expiresAt: new Date('2027-01-20T00:00:00Z') }];
    expect(
      memberReadiness({ interviewDate: '2027-01-20', timezone: 'Europe/London', certificates, enrolmentPercents: [] })
        .status,
    ).to.equal('expires-before-interview');
  });

  it('ignores a certificate issued after the interview day (a closed round stays truthful)', () => {
    const certificates = [{ issuedAt: new Date('2027-03-11T09:00:00Z'), expiresAt: new Date('2030-03-11T09:00:00Z') }];
    expect(
      memberReadiness({ interviewDate: '2027-03-10', timezone: 'Europe/London', certificates, enrolmentPercents: [] })
        .status,
    ).to.equal('not-started');
  });

  it('prefers the valid certificate among several', () => {
    const r = memberReadiness({
      interviewDate: '2027-03-10',
      timezone: 'Europe/London',
      certificates: [
        { issuedAt: issued, expiresAt: new Date('2026-01-01T00:00:00Z') },
        { issuedAt: issued, expiresAt: new Date('2029-01-01T00:00:00Z') },
      ],
      enrolmentPercents: [],
    });
    expect(r.status).to.equal('valid');
    expect(r.certificateExpiresAt?.toISOString()).to.equal('2029-01-01T00:00:00.000Z');
  });

  it('counts days left in the board zone', () => {
    expect(daysUntil('2027-03-10', 'Europe/London', new Date('2027-02-17T12:00:00Z'))).to.equal(21);
    expect(daysUntil('2027-03-10', 'Europe/London', new Date('2027-03-11T00:30:00Z'))).to.equal(-1);
    expect(daysUntil('2027-03-10', 'Asia/Tokyo', new Date('2027-03-09T16:00:00Z'))).to.equal(0);
  });
});
