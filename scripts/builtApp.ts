import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The app as `npm start` and `npm run cli` run it: built by `npm run build` (package.json: esbuild bundles into
 * dist/), started with source maps so a stack names the TypeScript lines. One place for the tests and the bench that
 * start it in a process of their own.
 */
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

export const builtApp = {
  server: path.join(root, 'dist/server.js'),
  cli: path.join(root, 'dist/cli.js'),
  /** Node's options before the file, as package.json's cli script gives them. */
  nodeArgs: ['--enable-source-maps'],
  /**
   * Node's options before the server's file, as package.json's start script gives them: a young generation of 32 MB
   * a half (V8's default is 16), so a server under load collects short-lived objects half as often (README,
   * Configuration: measured 3–4% less CPU a page).
   */
  serverNodeArgs: ['--enable-source-maps', '--max-semi-space-size=32'],
};

/** Builds dist/ from this checkout (about a second), so what is started is the code being tested or measured. */
export function buildApp(): void {
  execFileSync('npm', ['run', '-s', 'build'], { cwd: root, stdio: 'inherit' });
}
