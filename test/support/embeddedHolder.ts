/**
 * A process that starts the embedded database on a DATA_DIR and holds it, as the app or the CLI does, for the tests of
 * what happens when such a process is killed: `node --import tsx test/support/embeddedHolder.ts <dataDir>`. It prints
 * `ready <database pid>` and waits to be killed; it never connects, so the database has nothing to log meanwhile.
 */
import { startEmbeddedDatabase } from '../../server/embeddedDatabase.ts';

const database = await startEmbeddedDatabase({ dataDir: process.argv[2]! });
console.log(`ready ${database.pid}`);
setInterval(() => undefined, 60_000);
