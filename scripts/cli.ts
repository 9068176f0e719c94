import { parseArgs } from 'node:util';
import mongoose from 'mongoose';
import type { z } from 'zod';
import { roles } from '../models/User.ts';
import { createUserSchema } from '../routes/users.ts';
import { loadConfig } from '../server/config.ts';
import { connectDatabase } from '../server/db.ts';
import { seedDemoDataIfEmpty } from '../server/demo/index.ts';
import { startEmbeddedDatabase, type EmbeddedDatabase } from '../server/embeddedDatabase.ts';
import { DomainError } from '../server/errors.ts';
import { fieldErrorsFrom } from '../server/http/validate.ts';
import { createUser, enableUser, setPassword } from '../server/services/users.ts';
import { applySettings } from '../server/settings.ts';
import { closeMailer, configureMailer } from '../server/mailer.ts';

/**
 * Operator commands:
 *   npm run cli -- user:create --role admin --email a@b.org --name "Ada" [--password …] [--timezone Europe/London]
 *   npm run cli -- user:set-password --email a@b.org --password …   (a disabled account stays disabled)
 *   npm run cli -- user:enable --email a@b.org                      (a disabled account may sign in again)
 *   npm run cli -- demo:seed            (loads demo data into an empty database; refused in production)
 *   npm run cli -- --help
 * Uses MONGODB_URI, or the embedded database under DATA_DIR (stop the app first: SQLite has one writer).
 */
const usage =
  'usage: npm run cli -- user:create --role ROLE --email EMAIL [--name NAME] [--password PW] [--timezone ZONE]\n       npm run cli -- user:set-password --email EMAIL --password PW   (a disabled account stays disabled)\n       npm run cli -- user:enable --email EMAIL                       (a disabled account may sign in again)\n       npm run cli -- demo:seed';

async function main(): Promise<void> {
  const { positionals, values } = parseArgs({
    allowPositionals: true,
    options: {
      help: { type: 'boolean', short: 'h' },
      role: { type: 'string', multiple: true },
      email: { type: 'string' },
      name: { type: 'string' },
      password: { type: 'string' },
      timezone: { type: 'string' },
    },
  });
  if (values.help) {
    console.log(`${usage}\nroles: ${roles.join(', ')}`);
    return;
  }
  const command = positionals[0];
  if (!command || !['user:create', 'user:set-password', 'user:enable', 'demo:seed'].includes(command))
    throw new Error(usage);
  // Checked before the database starts, with the same rules as the admin's form and API: a bad email or time zone is
  // named, and nothing is written.
  let newUser: z.output<typeof createUserSchema> | undefined;
  if (command === 'user:create') {
    if (!values.email || !values.role?.length) throw new Error(`${usage}\nroles: ${roles.join(', ')}`);
    const parsed = createUserSchema.safeParse({
      email: values.email,
      name: values.name ?? values.email.split('@')[0],
      roles: values.role,
      ...(values.timezone === undefined ? {} : { timezone: values.timezone }),
      ...(values.password === undefined ? {} : { password: values.password }),
    });
    if (!parsed.success)
      throw new Error(
        `Nothing was created:${fieldErrorsFrom(parsed.error)
          // A command line offers no options to pick from: a role refused is told with the roles there are.
          .map((e) =>
            /^roles(\.\d+)?$/.test(e.path)
              ? `\n  --role: use one of ${roles.join(', ')}.`
              : `\n  --${e.path}: ${e.message}`,
          )
          .join('')}`,
      );
    newUser = parsed.data;
  }
  if (command === 'user:set-password' && (!values.email || !values.password)) throw new Error(usage);
  if (command === 'user:enable' && !values.email) throw new Error(usage);

  const config = loadConfig();
  // The demo accounts sign in with a password the README publishes (DEMO_DATA=true is refused there for the same reason).
  if (command === 'demo:seed' && config.env === 'production')
    throw new Error(
      'demo:seed is refused with NODE_ENV=production: the demo accounts sign in with a published password.',
    );
  applySettings(config);
  configureMailer({ smtpUrl: config.smtpUrl, from: config.mailFrom });
  let embedded: EmbeddedDatabase | undefined;
  if (!config.mongodbUri) embedded = await startEmbeddedDatabase({ dataDir: config.dataDir });
  try {
    await connectDatabase(config.mongodbUri ?? embedded!.uri);
    if (newUser) {
      const user = await createUser(newUser);
      console.log(
        `Created ${user.email} (${user.roles.join(', ')})${user.status === 'invited' ? '; an invitation was emailed' : ''}.`,
      );
    } else if (command === 'user:set-password') {
      const status = await setPassword({ email: values.email!, password: values.password! });
      console.log(
        `Password set for ${values.email!}.${status === 'disabled' ? ' The account is disabled: it may sign in after `npm run cli -- user:enable --email EMAIL`.' : ''}`,
      );
    } else if (command === 'user:enable') {
      const status = await enableUser({ email: values.email! });
      console.log(
        `${values.email!} may sign in again${status === 'invited' ? ' once she has chosen a password (she has none yet)' : ''}.`,
      );
    } else {
      console.log((await seedDemoDataIfEmpty()) ? 'Demo data loaded.' : 'The database is not empty; nothing loaded.');
    }
  } finally {
    // The pooled SMTP connection of an invitation would otherwise hold the command open until the server drops it.
    closeMailer();
    await mongoose.disconnect();
    await embedded?.stop();
  }
}

main().catch((error: unknown) => {
  if (error instanceof DomainError) {
    const details =
      'errors' in error
        ? (error as { errors: { path: string; message: string }[] }).errors
            .map((e) => `\n  ${e.path}: ${e.message}`)
            .join('')
        : '';
    console.error(`${error.message}${details}`);
  } else console.error((error as Error).message);
  process.exit(1);
});
