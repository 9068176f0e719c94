import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { MongoClient } from 'mongodb';
import { startEmbeddedDatabase } from '../../server/embeddedDatabase.ts';

describe('database: the embedded FerretDB', function () {
  this.timeout(120_000);

  it('listens on a Unix socket in a directory only this account may enter, on no TCP port, and tidies it away when stopped', async () => {
    const dataDir = mkdtempSync(path.join(tmpdir(), 'pathways-embedded-test-'));
    const database = await startEmbeddedDatabase({ dataDir, memory: true });
    try {
      expect(database.kind).to.equal('ferretdb');
      const socket = decodeURIComponent(/^mongodb:\/\/([^/]+)\/$/.exec(database.uri)![1]!);
      expect(socket).to.match(/\.sock$/);
      expect(statSync(socket).isSocket()).to.equal(true);
      // FerretDB has no users of its own: who may enter the directory decides who may read the database.
      expect(statSync(path.dirname(socket)).mode & 0o777).to.equal(0o700);
      const client = await new MongoClient(database.uri).connect();
      try {
        expect((await client.db('embeddedcheck').command({ ping: 1 })).ok).to.equal(1);
      } finally {
        await client.close();
      }
      const log = readFileSync(path.join(dataDir, 'database.log'), 'utf8');
      expect(log).to.include('Listening on Unix');
      expect(log).not.to.include('Listening on TCP');
      await database.stop();
      expect(existsSync(path.dirname(socket))).to.equal(false);
    } finally {
      await database.stop();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
