import { once } from 'node:events';
import { connect, type Socket } from 'node:net';
import { expect } from 'chai';
import { startAppProcess, stopAppProcess, type AppProcess } from '../support/appProcess.ts';
import { useTestDatabase } from '../support/db.ts';

/** One HTTP/1.1 request written on a socket the test holds; resolves with the status line once the whole answer is in. */
function requestOn(socket: Socket, path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    if (socket.closed || socket.readableEnded) return reject(new Error('the app had closed the kept-alive connection'));
    let received = '';
    const onData = (chunk: Buffer) => {
      received += chunk.toString('latin1');
      const headEnd = received.indexOf('\r\n\r\n');
      if (headEnd < 0) return;
      const length = Number(/\r\ncontent-length: *(\d+)/i.exec(received.slice(0, headEnd))?.[1] ?? NaN);
      if (received.length - headEnd - 4 < length) return;
      socket.off('data', onData);
      socket.off('close', onClose);
      resolve(received.slice(0, received.indexOf('\r\n')));
    };
    const onClose = () =>
      reject(new Error(`the app closed the kept-alive connection (received: ${received || 'nothing'})`));
    socket.on('data', onData);
    socket.once('close', onClose);
    socket.once('error', reject);
    socket.write(`GET ${path} HTTP/1.1\r\nHost: pathways.test\r\nConnection: keep-alive\r\n\r\n`);
  });
}

describe('kept-alive connections behind a load balancer', function () {
  this.timeout(90_000);
  useTestDatabase();

  let app: AppProcess;
  afterEach(async () => {
    if (app) await stopAppProcess(app);
  });

  it('a connection idle longer than Node’s 5 s default is still served, and closed by the app only after KEEP_ALIVE_TIMEOUT_SECONDS', async () => {
    // 15 s against the 8 s idle below: with 10, a busy run (four workers on 2 cores) woke the test late enough that the
    // app had closed the socket as the next request went out (ECONNRESET).
    app = await startAppProcess({ env: { KEEP_ALIVE_TIMEOUT_SECONDS: '15' } });
    const url = new URL(app.base);
    const socket = connect(Number(url.port), url.hostname);
    await once(socket, 'connect');
    try {
      expect(await requestOn(socket, '/healthz')).to.equal('HTTP/1.1 200 OK');
      // The balancer's view: the socket sat idle for 8 s (its own idle timeout is longer) and it sends the next request.
      // Node's default closes it after 5 to 6 s.
      await new Promise((resolve) => setTimeout(resolve, 8_000));
      expect(await requestOn(socket, '/healthz')).to.equal('HTTP/1.1 200 OK');

      const idleSince = Date.now();
      await once(socket, 'close');
      const idleMs = Date.now() - idleSince;
      expect(idleMs, 'closed once idle for KEEP_ALIVE_TIMEOUT_SECONDS').to.be.within(14_000, 25_000);
    } finally {
      socket.destroy();
    }
  });
});
