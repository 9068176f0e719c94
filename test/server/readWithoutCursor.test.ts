import { expect } from 'chai';
import mongoose, { Types } from 'mongoose';
import { readWithoutCursor } from '../../server/readWithoutCursor.ts';
import { useTestDatabase } from '../support/db.ts';

/**
 * readWithoutCursor sends a lean find as the `find` command itself (server/readWithoutCursor.ts): whatever the query,
 * it must answer exactly what mongoose's own `exec` answers, on the real database.
 */
describe('reads without a cursor answer what the query answers', () => {
  useTestDatabase({ monitorCommands: true });

  const schema = new mongoose.Schema({
    name: String,
    groupId: mongoose.Schema.Types.ObjectId,
    n: Number,
    at: Date,
    tags: [String],
    secret: { type: String, select: false },
  });
  const Thing = mongoose.model('ReadWithoutCursorThing', schema);
  const groupId = new Types.ObjectId();
  const otherGroup = new Types.ObjectId();

  before(async () => {
    await Thing.createCollection();
    await Thing.insertMany(
      Array.from({ length: 23 }, (_, n) => ({
        name: `Thing ${String(n).padStart(2, '0')}`,
        groupId: n % 3 ? groupId : otherGroup,
        n,
        at: new Date(Date.UTC(2026, 0, 1 + n)),
        tags: n % 2 ? ['odd'] : ['even', 'pair'],
        secret: `secret ${n}`,
      })),
    );
  });

  const commandsDuring = async <T>(run: () => Promise<T>): Promise<{ result: T; commands: string[] }> => {
    const commands: string[] = [];
    const client = mongoose.connection.getClient();
    const listener = (event: { commandName: string }) => commands.push(event.commandName);
    client.on('commandStarted', listener);
    try {
      return { result: await run(), commands };
    } finally {
      client.off('commandStarted', listener);
    }
  };

  // Each case builds its query twice: a mongoose query runs once.
  const cases: [string, () => mongoose.Query<unknown, unknown>][] = [
    ['a filter on an ObjectId given as text (cast)', () => Thing.find({ groupId: String(groupId) }).lean()],
    ['$in of ids as text', () => Thing.find({ groupId: { $in: [String(otherGroup)] } }).lean()],
    [
      'sorted, skipped and limited',
      () =>
        Thing.find({ n: { $gte: 2 } })
          .sort({ at: -1 })
          .skip(3)
          .limit(5)
          .lean(),
    ],
    ['a projection of fields', () => Thing.find({ tags: 'odd' }, { name: 1, n: 1 }).sort({ n: 1 }).lean()],
    [
      'a projection leaving fields out',
      () =>
        Thing.find({ n: { $lt: 4 } }, { tags: 0 })
          .sort({ n: 1 })
          .lean(),
    ],
    [
      'a select: false field asked for',
      () =>
        Thing.find({ n: { $lt: 3 } })
          .select('+secret')
          .sort({ n: 1 })
          .lean(),
    ],
    ['a string filter on a number (cast)', () => Thing.find({ n: '7' as unknown as number }).lean()],
    ['findOne found', () => Thing.findOne({ name: 'Thing 05' }).lean()],
    ['findOne sorted', () => Thing.findOne({ groupId }).sort({ n: -1 }).lean()],
    ['findOne not found', () => Thing.findOne({ name: 'nobody' }).lean()],
    ['findById as text', () => Thing.findById(String(new Types.ObjectId())).lean()],
    [
      'a negative limit (one batch of at most that many)',
      () => Thing.find({ groupId }).sort({ n: 1 }).limit(-3).lean(),
    ],
  ];
  for (const [label, query] of cases)
    it(`${label}: the same documents as exec`, async () => {
      const expected = await query().exec();
      const { result, commands } = await commandsDuring(() => readWithoutCursor(query()));
      expect(result).to.deep.equal(expected);
      expect(commands).to.deep.equal(['find']);
    });

  it('leaves out the schema’s select: false fields, as exec does', async () => {
    const docs = (await readWithoutCursor(Thing.find({}).lean())) as Record<string, unknown>[];
    expect(docs).to.have.length(23);
    for (const doc of docs) expect(doc).not.to.have.property('secret');
    const one = (await readWithoutCursor(Thing.findOne({ n: 1 }).lean())) as Record<string, unknown>;
    expect(one).to.include({ name: 'Thing 01' }).and.not.to.have.property('secret');
  });

  it('answers in one reply past the server’s default first batch of 101 documents', async () => {
    const Many = mongoose.model('ReadWithoutCursorMany', new mongoose.Schema({ n: Number }));
    await Many.createCollection();
    await Many.insertMany(Array.from({ length: 150 }, (_, n) => ({ n })));
    const query = () =>
      Many.find({ n: { $gte: 0 } })
        .sort({ n: 1 })
        .lean();
    const expected = await query().exec();
    const { result, commands } = await commandsDuring(() => readWithoutCursor(query()));
    expect(result).to.deep.equal(expected);
    expect(result).to.have.length(150);
    expect(commands).to.deep.equal(['find']);
  });

  it('an answer that does not fit its one reply: its cursor is closed and the query read the driver’s way', async () => {
    const query = () => Thing.find({}).sort({ n: 1 }).batchSize(4).lean();
    const expected = await query().exec();
    const { result, commands } = await commandsDuring(() => readWithoutCursor(query()));
    expect(result).to.deep.equal(expected);
    expect((result as unknown[]).length).to.equal(23);
    // Its own find, the cursor it left closed, then the driver's find and getMores (one session, one server).
    expect(commands.slice(0, 3)).to.deep.equal(['find', 'killCursors', 'find']);
    expect(commands.slice(3)).to.deep.equal(Array(5).fill('getMore'));
  });

  it('refuses a value its field cannot take, as exec does (a CastError, nothing sent)', async () => {
    const expected = await Thing.find({ groupId: 'not an id' })
      .lean()
      .exec()
      .then(
        () => undefined,
        (error: Error) => error.name,
      );
    expect(expected).to.equal('CastError');
    const { result, commands } = await commandsDuring(() =>
      readWithoutCursor(Thing.find({ groupId: 'not an id' }).lean()).then(
        () => undefined,
        (error: Error) => error.name,
      ),
    );
    expect(result).to.equal('CastError');
    expect(commands).to.deep.equal([]);
  });

  /** Makes the next command sent through the database handle fail with this error (a failover's, say). */
  const failNextCommandWith = (error: Error) => {
    const db = Thing.db.db!;
    const command = db.command.bind(db);
    db.command = (() => {
      db.command = command;
      return Promise.reject(error);
    }) as typeof db.command;
  };
  const failNextCommand = (code: number) =>
    failNextCommandWith(new mongoose.mongo.MongoServerError({ code, errmsg: `failed with ${code}`, ok: 0 }));

  it('a read refused as the driver would retry (a primary stepping down) is sent again the driver’s way', async () => {
    for (const [code, projection] of [
      [11602, undefined],
      [10107, { name: 1 }],
      [91, { tags: 0 }],
    ] as const) {
      const query = () => Thing.find({ groupId }, projection).sort({ n: 1 }).lean();
      const expected = await query().exec();
      failNextCommand(code);
      const { result, commands } = await commandsDuring(() => readWithoutCursor(query()));
      expect(result).to.deep.equal(expected);
      for (const doc of result as Record<string, unknown>[]) expect(doc).not.to.have.property('secret');
      expect(commands).to.deep.equal(['find']);
    }
  });

  it('a field asked for with +path is kept when the read is sent again the driver’s way', async () => {
    failNextCommand(11602);
    const doc = (await readWithoutCursor(Thing.findOne({ n: 4 }).select('+secret').lean())) as Record<string, unknown>;
    expect(doc).to.include({ name: 'Thing 04', secret: 'secret 4' });
    failNextCommandWith(new mongoose.mongo.MongoNetworkError('connection reset'));
    const docs = (await readWithoutCursor(
      Thing.find({ n: { $lt: 2 } })
        .select('+secret')
        .sort({ n: 1 })
        .lean(),
    )) as Record<string, unknown>[];
    expect(docs.map((d) => d.secret)).to.deep.equal(['secret 0', 'secret 1']);
  });

  it('a read the server refuses for what it asks is refused, not sent again', async () => {
    failNextCommand(2);
    const { result, commands } = await commandsDuring(() =>
      readWithoutCursor(Thing.find({ groupId }).lean()).then(
        () => undefined,
        (error: { code?: number }) => error.code,
      ),
    );
    expect(result).to.equal(2);
    expect(commands).to.deep.equal([]);
  });

  it('a schema with query middleware, or lean options, is read the ordinary way, so the middleware and options apply', async () => {
    const hooked = new mongoose.Schema({ name: String, n: Number, archived: Boolean });
    // A hook that narrows every find, as a soft delete would: the read must see it.
    hooked.pre('find', function () {
      this.where({ archived: { $ne: true } });
    });
    const Hooked = mongoose.model('ReadWithoutCursorHooked', hooked);
    await Hooked.createCollection();
    await Hooked.insertMany([
      { name: 'kept', n: 1 },
      { name: 'archived', n: 2, archived: true },
    ]);
    const docs = await readWithoutCursor(Hooked.find({}).lean());
    expect(docs.map((d) => d.name)).to.deep.equal(['kept']);
    const withoutVersion = await readWithoutCursor(Thing.find({ n: 1 }).lean({ versionKey: false }));
    expect(withoutVersion).to.have.length(1);
    expect(withoutVersion[0]).not.to.have.property('__v');
  });

  it('orFail, and a read from secondaries, run the ordinary way', async () => {
    const missing = await readWithoutCursor(Thing.findOne({ name: 'nobody' }).orFail().lean()).then(
      () => undefined,
      (error: Error) => error.name,
    );
    expect(missing).to.equal('DocumentNotFoundError');
    const query = () => Thing.find({ groupId }).sort({ n: 1 }).read('secondaryPreferred').lean();
    expect(await readWithoutCursor(query())).to.deep.equal(await query().exec());
  });

  it('a query it does not cover (not lean) runs the ordinary way and answers documents', async () => {
    const doc = await readWithoutCursor(Thing.findOne({ n: 2 }));
    expect(doc).to.be.instanceOf(mongoose.Document);
    expect((doc as unknown as { name: string }).name).to.equal('Thing 02');
  });
});
