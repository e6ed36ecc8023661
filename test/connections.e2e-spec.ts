import { AddressInfo } from 'node:net';
import * as net from 'node:net';
import * as path from 'node:path';
import { readJsonLines, startApp, TestApp } from './support/e2e-app';

// Its own file: the app log goes to the first app a test process starts (nestjs-pino's root).
describe('MAX_CONNECTIONS', () => {
  let t: TestApp;
  let port: number;
  const sockets: net.Socket[] = [];
  beforeAll(async () => {
    t = await startApp({ MAX_CONNECTIONS: '2' });
    const server = t.http as import('node:http').Server;
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(async () => {
    sockets.forEach((s) => s.destroy());
    await t.app.close();
  });

  const connect = (): Promise<net.Socket> =>
    new Promise((resolve, reject) => {
      const socket = net.connect(port, '127.0.0.1', () => resolve(socket));
      sockets.push(socket);
      socket.on('error', reject);
    });
  /** What the server sends before it closes the connection. */
  const answer = (socket: net.Socket): Promise<string> =>
    new Promise((resolve) => {
      let text = '';
      socket.on('data', (c) => (text += c.toString('utf8')));
      socket.on('error', () => undefined);
      socket.on('close', () => resolve(text));
    });
  const settle = () => new Promise((r) => setTimeout(r, 100));

  it('closes a connection past the cap at once, logs it, and serves again when one ends', async () => {
    const idle = [await connect(), await connect()];
    await settle(); // the server has taken both before the third arrives
    expect(await answer(await connect())).toBe('');
    const lines = await readJsonLines(path.join(t.logDir, 'app.log'), (ls) =>
      ls.some((l) => String(l.msg).includes('MAX_CONNECTIONS')),
    );
    expect(lines.map((l) => l.msg)).toContainEqual(
      '1 connection(s) closed unanswered: MAX_CONNECTIONS (2) were open',
    );

    idle[0].destroy();
    await settle();
    const probe = await connect();
    const response = answer(probe);
    probe.write('GET /health/live HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    expect((await response).split('\r\n')[0]).toBe('HTTP/1.1 200 OK');
  });
});
