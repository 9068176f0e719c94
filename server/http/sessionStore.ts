import MongoStore from 'connect-mongo';
import type { SessionData } from 'express-session';

type StoredSession = { _id: string; session: unknown; expires?: Date; lastModified?: Date };

/**
 * connect-mongo's store, reading a session by `_id` alone and checking its expiry here.
 *
 * Why: connect-mongo's own get() filters `{ _id, $or: [expires…] }`. FerretDB 1.x pushes only a filter that is
 * exactly `{ _id: value }` down to its storage; anything else reads the whole collection, and this runs on every
 * signed-in request, so page time would grow with the number of live sessions. On MongoDB both are index lookups.
 */
export class SessionStore extends MongoStore<SessionData> {
  override get(sid: string, callback: (err: unknown, session?: SessionData | null) => void): void {
    void (async () => {
      try {
        const sessions = (await this.collectionP) as unknown as import('mongodb').Collection<StoredSession>;
        const stored = await sessions.findOne({ _id: sid });
        if (!stored || (stored.expires && stored.expires.getTime() <= Date.now())) return callback(null, null);
        // connect-mongo's configured (de)serialisation, so what set() wrote is read back the same way.
        const { unserialize } = (this as unknown as { transformFunctions: { unserialize: (s: unknown) => SessionData & { lastModified?: Date } } }).transformFunctions;
        const session = unserialize(stored.session);
        // touchAfter relies on this to skip writes for a session touched within the last minute.
        if (stored.lastModified) session.lastModified = stored.lastModified;
        this.emit('get', sid);
        callback(null, session);
      } catch (error) {
        callback(error);
      }
    })();
  }
}
