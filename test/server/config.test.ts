import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { ConfigError, loadConfig } from '../../server/config.ts';
// The forms' wording, as in the app (which loads it with its routes): a variable's refusal must not take it.
import '../../server/http/plainMessages.ts';

describe('configuration', () => {
  it('when every variable is unset, it starts in development on port 3000 with demo data and the embedded database', () => {
    const config = loadConfig({ NODE_ENV: 'test' });
    expect(config.port).to.equal(3000);
    expect(config.mongodbUri).to.equal(undefined);
    expect(config.demoData).to.equal(true);
    expect(config.sessionSecret).to.have.length.greaterThan(31);
    expect(Object.isFrozen(config)).to.equal(true);
  });

  it('when a value is bad, it refuses to start and names every bad variable', () => {
    try {
      loadConfig({ PORT: 'eighty', MONGODB_URI: 'postgres://x', BASE_URL: 'not a url', SMTP_URL: 'http://mail' });
      expect.fail('should have thrown');
    } catch (error) {
      expect(error).to.be.instanceOf(ConfigError);
      const message = (error as Error).message;
      for (const name of ['PORT', 'MONGODB_URI', 'BASE_URL', 'SMTP_URL']) expect(message).to.include(name);
    }
  });

  it('when MONGODB_URI or SMTP_URL has the right scheme but cannot be parsed, it refuses to start and names the variable', () => {
    const refused = (env: Record<string, string>, name: string) => {
      try {
        loadConfig({ NODE_ENV: 'test', ...env });
        expect.fail(`${JSON.stringify(env)} should have been refused`);
      } catch (error) {
        expect(error).to.be.instanceOf(ConfigError);
        expect((error as ConfigError).problems).to.have.length(1);
        expect((error as ConfigError).problems[0]).to.match(new RegExp(`^${name}: `));
        // The refusal never repeats a password from the value.
        expect((error as Error).message).to.not.include('s3cret');
      }
    };
    refused({ MONGODB_URI: 'mongodb://db.internal:27O17/pathways' }, 'MONGODB_URI');
    refused({ MONGODB_URI: 'mongodb://app:s3cret@db.internal/pathways?replicaset=rs0&retrywrite=true' }, 'MONGODB_URI');
    refused({ MONGODB_URI: 'mongodb://' }, 'MONGODB_URI');
    refused({ SMTP_URL: 'smtp://mailer:s3cret@mail.example.org:58x' }, 'SMTP_URL');
    refused({ SMTP_URL: 'smtp://' }, 'SMTP_URL');
    // What operators do write is accepted as it is.
    for (const uri of [
      'mongodb://a.example.org:27017,b.example.org:27017/pathways?replicaSet=rs0',
      'mongodb+srv://app:pw@cluster0.example.net/lms?retryWrites=true&w=majority',
      'mongodb://%2Ftmp%2Fferretdb.sock/',
    ])
      expect(loadConfig({ NODE_ENV: 'test', MONGODB_URI: uri }).mongodbUri).to.equal(uri);
    expect(loadConfig({ NODE_ENV: 'test', SMTP_URL: 'smtps://u:p%40ss@mail.example.org:465' }).smtpUrl).to.equal(
      'smtps://u:p%40ss@mail.example.org:465',
    );
  });

  it('when DATA_DIR cannot be created (a file stands in its way), the start is refused naming DATA_DIR, not with a stack', () => {
    const parent = mkdtempSync(path.join(tmpdir(), 'pathways-config-'));
    try {
      writeFileSync(path.join(parent, 'file'), '');
      expect(() => loadConfig({ NODE_ENV: 'development', DATA_DIR: path.join(parent, 'file', 'data') })).to.throw(
        ConfigError,
        /DATA_DIR: .*ENOTDIR/,
      );
    } finally {
      rmSync(parent, { recursive: true, force: true });
    }
  });

  it('PORT is a whole number from 1 to 65535; blank-looking, 0 (a random port nobody could link to) or fractional is refused by name', () => {
    for (const bad of [' ', '0', '80.5', '0x50', '1e3', '70000'])
      expect(() => loadConfig({ NODE_ENV: 'test', PORT: bad }), JSON.stringify(bad)).to.throw(
        ConfigError,
        /PORT: must be a port number from 1 to 65535/,
      );
    expect(loadConfig({ NODE_ENV: 'test', PORT: ' 8080 ' }).port).to.equal(8080);
  });

  it('MAIL_FROM must hold exactly one email address (a bare name left every email without a sender address); it names MAIL_FROM', () => {
    for (const bad of ['Pathways', 'Pathways <no-reply>', 'a@b.org, c@d.org'])
      expect(() => loadConfig({ NODE_ENV: 'test', MAIL_FROM: bad }), bad).to.throw(ConfigError, /MAIL_FROM: /);
    for (const good of ['"Leading, Women" <team@pathways.example.org>', 'team@pathways.example.org'])
      expect(loadConfig({ NODE_ENV: 'test', MAIL_FROM: good }).mailFrom).to.equal(good);
  });

  it('without MAIL_FROM, mail comes from no-reply at the app’s own domain (BASE_URL), never from a .local name outside development', () => {
    const production = {
      NODE_ENV: 'production',
      SESSION_SECRET: 'x'.repeat(40),
      SMTP_URL: 'smtp://127.0.0.1:1',
      BASE_URL: 'https://pathways.example.org/',
    };
    expect(loadConfig(production).mailFrom).to.equal('Pathways <no-reply@pathways.example.org>');
    expect(loadConfig({ NODE_ENV: 'test' }).mailFrom).to.equal('Pathways <no-reply@pathways.local>');
    expect(loadConfig({ NODE_ENV: 'test', BASE_URL: 'http://127.0.0.1:3000' }).mailFrom).to.equal(
      'Pathways <no-reply@pathways.local>',
    );
    expect(loadConfig({ ...production, MAIL_FROM: 'team@schools.example.org' }).mailFrom).to.equal(
      'team@schools.example.org',
    );
  });

  it('when in production without SESSION_SECRET or SMTP_URL, it refuses to start', () => {
    expect(() => loadConfig({ NODE_ENV: 'production' })).to.throw(ConfigError, /SESSION_SECRET/);
  });

  it('when only one of ADMIN_EMAIL and ADMIN_PASSWORD is set, it says both are needed', () => {
    expect(() => loadConfig({ NODE_ENV: 'test', ADMIN_EMAIL: 'a@b.org' })).to.throw(
      ConfigError,
      /ADMIN_EMAIL and ADMIN_PASSWORD/,
    );
  });

  it('when ADMIN_PASSWORD is one the sign-up form would refuse (too common, or the email in it), it names ADMIN_PASSWORD and the reason', () => {
    expect(() =>
      loadConfig({ NODE_ENV: 'test', ADMIN_EMAIL: 'ops@example.org', ADMIN_PASSWORD: 'password1234' }),
    ).to.throw(ConfigError, /ADMIN_PASSWORD: .*too common/);
    expect(
      loadConfig({ NODE_ENV: 'test', ADMIN_EMAIL: 'ops@example.org', ADMIN_PASSWORD: 'a long admin passphrase' }).admin,
    ).to.deep.equal({ email: 'ops@example.org', password: 'a long admin passphrase' });
  });

  it('when DEMO_DATA is not true or false, it names the variable', () => {
    expect(() => loadConfig({ DEMO_DATA: 'yes' })).to.throw(ConfigError, /DEMO_DATA/);
  });

  it('when LOG_LEVEL is none of its seven values, the refusal names every one of them (a form\'s "one of the options offered" left the operator with none)', () => {
    expect(() => loadConfig({ LOG_LEVEL: 'verbose' })).to.throw(
      ConfigError,
      'LOG_LEVEL: must be one of: fatal, error, warn, info, debug, trace, silent',
    );
    expect(() => loadConfig({ RUN_JOBS: 'yes' })).to.throw(ConfigError, 'RUN_JOBS: must be one of: true, false');
  });

  it('in production without BASE_URL, it refuses to start (every emailed link would point at localhost); BASE_URL must be http(s)', () => {
    const production = { NODE_ENV: 'production', SESSION_SECRET: 'x'.repeat(40), SMTP_URL: 'smtp://127.0.0.1:1' };
    expect(() => loadConfig(production)).to.throw(ConfigError, /BASE_URL: required in production/);
    expect(loadConfig({ ...production, BASE_URL: 'https://pathways.example.org/' }).baseUrl).to.equal(
      'https://pathways.example.org',
    );
    expect(() => loadConfig({ NODE_ENV: 'test', BASE_URL: 'ftp://pathways.example.org' })).to.throw(
      ConfigError,
      /BASE_URL: /,
    );
    // Development keeps its default.
    expect(loadConfig({ NODE_ENV: 'test', PORT: '4000' }).baseUrl).to.equal('http://localhost:4000');
  });

  it('in production, demo data is off by default and the secret is taken from the environment', () => {
    const config = loadConfig({
      NODE_ENV: 'production',
      SESSION_SECRET: 'x'.repeat(40),
      SMTP_URL: 'smtp://127.0.0.1:25',
      BASE_URL: 'https://pathways.example.org',
    });
    expect(config.demoData).to.equal(false);
    expect(config.sessionSecret).to.equal('x'.repeat(40));
  });

  it('in production, DEMO_DATA=true is refused by name (it would seed accounts whose password the README publishes)', () => {
    const production = {
      NODE_ENV: 'production',
      SESSION_SECRET: 'x'.repeat(40),
      SMTP_URL: 'smtp://127.0.0.1:25',
      BASE_URL: 'https://pathways.example.org',
    };
    expect(() => loadConfig({ ...production, DEMO_DATA: 'true' })).to.throw(
      ConfigError,
      /DEMO_DATA: "true" is refused in production/,
    );
    expect(loadConfig({ ...production, DEMO_DATA: 'false' }).demoData).to.equal(false);
    expect(loadConfig({ NODE_ENV: 'test', DEMO_DATA: 'true' }).demoData).to.equal(true);
  });
  it('SECRETS_ENCRYPTION_KEY is 32 bytes as hex or base64; unset by default; anything else is refused by name', () => {
    const key = Buffer.from('0123456789abcdef0123456789abcdef');
    expect(loadConfig({ NODE_ENV: 'test' }).secretsEncryptionKey).to.equal(undefined);
    expect(
      loadConfig({ NODE_ENV: 'test', SECRETS_ENCRYPTION_KEY: key.toString('hex') }).secretsEncryptionKey,
    ).to.deep.equal(key);
    expect(
      loadConfig({ NODE_ENV: 'test', SECRETS_ENCRYPTION_KEY: key.toString('base64') }).secretsEncryptionKey,
    ).to.deep.equal(key);
    for (const bad of ['too-short', key.toString('hex').slice(2), Buffer.alloc(16).toString('base64')])
      expect(() => loadConfig({ NODE_ENV: 'test', SECRETS_ENCRYPTION_KEY: bad })).to.throw(
        ConfigError,
        /SECRETS_ENCRYPTION_KEY: must be 32 random bytes/,
      );
  });

  it('SESSION_COOKIE_SAMESITE is lax by default; none is accepted in production only, and anything else is refused by name', () => {
    expect(loadConfig({ NODE_ENV: 'test' }).sessionCookieSameSite).to.equal('lax');
    const production = {
      NODE_ENV: 'production',
      SESSION_SECRET: 'x'.repeat(40),
      SMTP_URL: 'smtp://127.0.0.1:1',
      BASE_URL: 'https://pathways.example.org',
    };
    expect(loadConfig({ ...production, SESSION_COOKIE_SAMESITE: 'none' }).sessionCookieSameSite).to.equal('none');
    expect(() => loadConfig({ NODE_ENV: 'development', SESSION_COOKIE_SAMESITE: 'none' })).to.throw(
      ConfigError,
      /SESSION_COOKIE_SAMESITE: "none" needs NODE_ENV=production/,
    );
    expect(() => loadConfig({ NODE_ENV: 'test', SESSION_COOKIE_SAMESITE: 'strict' })).to.throw(
      ConfigError,
      /SESSION_COOKIE_SAMESITE/,
    );
  });

  it('SHUTDOWN_TIMEOUT_SECONDS is 20 by default, a whole number of seconds from 1 to 600, refused by name otherwise', () => {
    expect(loadConfig({ NODE_ENV: 'test' }).shutdownTimeoutMs).to.equal(20_000);
    expect(loadConfig({ NODE_ENV: 'test', SHUTDOWN_TIMEOUT_SECONDS: '8' }).shutdownTimeoutMs).to.equal(8_000);
    for (const bad of ['0', '2.5', 'ten', '601'])
      expect(() => loadConfig({ NODE_ENV: 'test', SHUTDOWN_TIMEOUT_SECONDS: bad }), bad).to.throw(
        ConfigError,
        /SHUTDOWN_TIMEOUT_SECONDS: /,
      );
  });

  it('the whole-number settings refuse by name what is not written in digits ("0x14", "1e1", blanks), which were read as 20, 10 and 0', () => {
    for (const name of [
      'SHUTDOWN_TIMEOUT_SECONDS',
      'SHUTDOWN_DRAIN_SECONDS',
      'KEEP_ALIVE_TIMEOUT_SECONDS',
      'AUDIT_RETENTION_DAYS',
    ])
      for (const bad of ['0x14', '1e1', ' ', '-0', '+5'])
        expect(() => loadConfig({ NODE_ENV: 'test', [name]: bad }), `${name}=${bad}`).to.throw(
          ConfigError,
          new RegExp(`${name}: must be a whole number from`),
        );
    expect(loadConfig({ NODE_ENV: 'test', AUDIT_RETENTION_DAYS: ' 90 ' }).auditRetentionDays).to.equal(90);
  });

  it('KEEP_ALIVE_TIMEOUT_SECONDS is 65 by default (above a load balancer’s 60 s), a whole number from 1 to 3600, refused by name otherwise', () => {
    expect(loadConfig({ NODE_ENV: 'test' }).keepAliveTimeoutMs).to.equal(65_000);
    expect(loadConfig({ NODE_ENV: 'test', KEEP_ALIVE_TIMEOUT_SECONDS: '75' }).keepAliveTimeoutMs).to.equal(75_000);
    for (const bad of ['0', '2.5', 'ten', '3601'])
      expect(() => loadConfig({ NODE_ENV: 'test', KEEP_ALIVE_TIMEOUT_SECONDS: bad }), bad).to.throw(
        ConfigError,
        /KEEP_ALIVE_TIMEOUT_SECONDS: /,
      );
  });

  it('SHUTDOWN_DRAIN_SECONDS is 0 by default, a whole number, and at most half of SHUTDOWN_TIMEOUT_SECONDS, refused by name otherwise', () => {
    expect(loadConfig({ NODE_ENV: 'test' }).shutdownDrainMs).to.equal(0);
    expect(loadConfig({ NODE_ENV: 'test', SHUTDOWN_DRAIN_SECONDS: '10' }).shutdownDrainMs).to.equal(10_000);
    expect(() => loadConfig({ NODE_ENV: 'test', SHUTDOWN_DRAIN_SECONDS: '11' })).to.throw(
      ConfigError,
      /SHUTDOWN_DRAIN_SECONDS: at most half of SHUTDOWN_TIMEOUT_SECONDS \(20 s\)/,
    );
    expect(
      loadConfig({ NODE_ENV: 'test', SHUTDOWN_DRAIN_SECONDS: '30', SHUTDOWN_TIMEOUT_SECONDS: '60' }).shutdownDrainMs,
    ).to.equal(30_000);
    for (const bad of ['-1', '2.5', 'ten'])
      expect(() => loadConfig({ NODE_ENV: 'test', SHUTDOWN_DRAIN_SECONDS: bad }), bad).to.throw(
        ConfigError,
        /SHUTDOWN_DRAIN_SECONDS: /,
      );
  });

  it('TRUST_PROXY takes a hop count or addresses/subnets, and defaults to loopback', () => {
    expect(loadConfig({ NODE_ENV: 'test' }).trustProxy).to.deep.equal(['loopback']);
    expect(loadConfig({ NODE_ENV: 'test', TRUST_PROXY: '1' }).trustProxy).to.equal(1);
    expect(
      loadConfig({ NODE_ENV: 'test', TRUST_PROXY: '10.0.0.5, 10.1.0.0/16,fd00::/8, uniquelocal' }).trustProxy,
    ).to.deep.equal(['10.0.0.5', '10.1.0.0/16', 'fd00::/8', 'uniquelocal']);
  });

  it('when TRUST_PROXY is not a hop count or a list of addresses/subnets (or is "true"), it refuses to start and names it', () => {
    for (const bad of ['true', 'proxy.example.org', '10.0.0.0/33', '10.0.0.300', '-1', '99', '10.0.0.0/8/1', ',']) {
      expect(() => loadConfig({ NODE_ENV: 'test', TRUST_PROXY: bad }), bad).to.throw(ConfigError, /TRUST_PROXY/);
    }
  });
});
