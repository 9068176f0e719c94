import { expect } from 'chai';
import { ConfigError, loadConfig } from '../../server/config.ts';

describe('accounts configuration (MFA_REQUIRED_ROLES, AUDIT_RETENTION_DAYS)', () => {
  const production = {
    NODE_ENV: 'production',
    SESSION_SECRET: 'x'.repeat(40),
    SMTP_URL: 'smtp://mail.example.org:587',
    BASE_URL: 'https://pathways.example.org',
  };

  it('requires two-step sign-in of admins and facilitators in production, and of nobody elsewhere, by default', () => {
    expect(loadConfig(production).mfaRequiredRoles).to.deep.equal(['admin', 'facilitator']);
    expect(loadConfig({ NODE_ENV: 'development', DATA_DIR: '/tmp' }).mfaRequiredRoles).to.deep.equal([]);
    expect(loadConfig({ NODE_ENV: 'test' }).mfaRequiredRoles).to.deep.equal([]);
  });

  it('takes a comma-separated list of roles, or "none" to require it of nobody', () => {
    expect(loadConfig({ NODE_ENV: 'test', MFA_REQUIRED_ROLES: 'admin, mentor' }).mfaRequiredRoles).to.deep.equal([
      'admin',
      'mentor',
    ]);
    expect(loadConfig({ ...production, MFA_REQUIRED_ROLES: 'none' }).mfaRequiredRoles).to.deep.equal([]);
  });

  it('when a listed role does not exist, it refuses to start and names the variable and the role', () => {
    expect(() => loadConfig({ NODE_ENV: 'test', MFA_REQUIRED_ROLES: 'admin,superuser' })).to.throw(
      ConfigError,
      /MFA_REQUIRED_ROLES: unknown role superuser/,
    );
  });

  it('keeps audit events for good by default (API.md: nothing deletes an event); a retention that is not a whole number of days is refused', () => {
    expect(loadConfig({ NODE_ENV: 'test' }).auditRetentionDays).to.equal(null);
    expect(loadConfig({ NODE_ENV: 'test', AUDIT_RETENTION_DAYS: '90' }).auditRetentionDays).to.equal(90);
    for (const bad of ['0', '-5', 'forever', '1.5'])
      expect(() => loadConfig({ NODE_ENV: 'test', AUDIT_RETENTION_DAYS: bad })).to.throw(
        ConfigError,
        /AUDIT_RETENTION_DAYS/,
      );
  });
});
