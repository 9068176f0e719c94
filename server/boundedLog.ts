import { open, rename, type FileHandle } from 'node:fs/promises';
import { Writable } from 'node:stream';

/**
 * An append-only log file that never grows past about `maxBytes`: when a write would take it past, the file becomes
 * `<file>.1` (replacing the one before) and a new one is begun, so at most twice `maxBytes` sit on disk however long
 * the process runs. The embedded database writes its log through one: on a long-running install it grew for ever.
 * A write that fails (a full disk) drops those lines and the log goes on: the database's output must always be read,
 * or its pipe fills and the database stalls on its next log line.
 */
export function boundedLogFile(file: string, maxBytes: number): Writable {
  let handle: FileHandle | undefined;
  let size = 0;
  const openFile = async () => {
    handle = await open(file, 'a');
    size = (await handle.stat()).size;
  };
  const append = async (chunk: Buffer) => {
    if (!handle) await openFile();
    if (size > 0 && size + chunk.length > maxBytes) {
      await handle!.close();
      handle = undefined;
      await rename(file, `${file}.1`);
      await openFile();
    }
    await handle!.appendFile(chunk);
    size += chunk.length;
  };
  return new Writable({
    write(chunk: Buffer, _encoding, done) {
      append(chunk).then(
        () => done(),
        () => done(),
      );
    },
    final(done) {
      (handle?.close() ?? Promise.resolve()).then(
        () => done(),
        () => done(),
      );
    },
  });
}
