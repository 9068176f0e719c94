import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFile } from 'node:fs/promises';
import { createServer, type AddressInfo, type Server } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import mongoose from 'mongoose';
import { UserModel } from '../../models/User.ts';
import { builtApp } from '../../scripts/builtApp.ts';
import { useTestDatabase } from '../support/db.ts';
import { buildUser } from '../support/factories.ts';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

async function listeningServer(): Promise<Server> {
  const server = createServer();
  server.listen(0);
  await once(server, 'listening');
  return server;
}

/** Runs the app as `npm start` does until it exits on its own; what an operator sees in the terminal. */
async function startApp(env: Record<string, string>): Promise<{ code: number | null; output: string; ms: number }> {
  const started = Date.now();
  const child = spawn(process.execPath, [...builtApp.serverNodeArgs, builtApp.server], {
    cwd: root,
    env: { ...process.env, NODE_ENV: 'development', DEMO_DATA: 'false', LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (c: Buffer) => (output += c.toString()));
  child.stderr.on('data', (c: Buffer) => (output += c.toString()));
  const [code] = (await once(child, 'exit')) as [number | null];
  return { code, output, ms: Date.now() - started };
}

describe('start-up failures an operator reads', function () {
  this.timeout(60_000);
  useTestDatabase();

  it('the tests and the bench start the server and the CLI with the Node options package.json gives them', async () => {
    const { scripts } = JSON.parse(await readFile(path.join(root, 'package.json'), 'utf8')) as {
      scripts: Record<string, string>;
    };
    expect(scripts.start).to.equal(['node', ...builtApp.serverNodeArgs, 'dist/server.js'].join(' '));
    expect(scripts.cli).to.match(new RegExp(` && node ${builtApp.nodeArgs.join(' ')} dist/cli\\.js$`));
  });

  it('when the database at MONGODB_URI does not answer, it exits within seconds with one line naming it, no stack and no password', async () => {
    const holder = await listeningServer();
    const port = (holder.address() as AddressInfo).port;
    holder.close();
    const result = await startApp({
      MONGODB_URI: `mongodb://app:s3cret-pw@127.0.0.1:${port}/pathways`,
      SESSION_SECRET: 'a-session-secret-of-at-least-32-chars',
    });
    expect(result.code).to.not.equal(0);
    expect(result.ms).to.be.below(20_000);
    expect(result.output).to.match(/MONGODB_URI/);
    expect(result.output).to.include(`127.0.0.1:${port}`);
    expect(result.output).to.not.match(/\n\s+at /);
    expect(result.output).to.not.include('s3cret-pw');
  });

  it('when PORT is taken by another program, it exits with one line naming PORT and no stack', async () => {
    const holder = await listeningServer();
    try {
      const port = (holder.address() as AddressInfo).port;
      const uri = new URL(process.env.MONGODB_URI!);
      uri.pathname = `/${mongoose.connection.name}`;
      const result = await startApp({
        MONGODB_URI: uri.toString(),
        PORT: String(port),
        SESSION_SECRET: 'a-session-secret-of-at-least-32-chars',
        RUN_JOBS: 'false',
      });
      expect(result.code).to.not.equal(0);
      expect(result.output).to.match(new RegExp(`PORT.*${port}`));
      expect(result.output).to.not.match(/\n\s+at /);
    } finally {
      holder.close();
    }
  });

  it('when ADMIN_EMAIL belongs to an account that is not an admin and there is no admin, it exits with one line naming ADMIN_EMAIL, no stack', async () => {
    await buildUser({ email: 'already-here@example.org', roles: ['participant'] });
    const uri = new URL(process.env.MONGODB_URI!);
    uri.pathname = `/${mongoose.connection.name}`;
    const result = await startApp({
      MONGODB_URI: uri.toString(),
      SESSION_SECRET: 'a-session-secret-of-at-least-32-chars',
      ADMIN_EMAIL: 'already-here@example.org',
      ADMIN_PASSWORD: 'a long admin passphrase',
      RUN_JOBS: 'false',
    });
    expect(result.code).to.equal(78);
    expect(result.output).to.match(/ADMIN_EMAIL: already-here@example.org has an account that is not an admin/);
    expect(result.output).to.not.match(/\n\s+at /);
    expect(await UserModel.countDocuments({ roles: 'admin' })).to.equal(0);
  });
});
