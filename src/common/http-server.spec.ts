import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as net from 'node:net';
import { relayConnectionClose } from './http-server';

describe('relayConnectionClose', () => {
  let server: http.Server;
  const closes = new Map<string, number>();
  const answered = new Map<string, http.ServerResponse>();
  let serverSocket: net.Socket | undefined;

  beforeEach(async () => {
    closes.clear();
    server = http.createServer((req, res) => {
      res.on('close', () => closes.set(req.url!, (closes.get(req.url!) ?? 0) + 1));
      answered.set(req.url!, res);
      serverSocket = req.socket;
      if (req.url !== '/slow') res.end('ok');
    });
    server.on('request', relayConnectionClose);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  });
  afterEach(async () => {
    answered.get('/slow')?.end();
    await new Promise((r) => server.close(r));
  });

  const connect = () =>
    new Promise<net.Socket>((resolve) => {
      const socket = net.connect((server.address() as AddressInfo).port, '127.0.0.1', () =>
        resolve(socket),
      );
      socket.on('error', () => undefined);
    });
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

  it('closes a response queued behind a pipelined request when the client leaves, once', async () => {
    const socket = await connect();
    socket.write('GET /slow HTTP/1.1\r\nHost: x\r\n\r\nGET /queued HTTP/1.1\r\nHost: x\r\n\r\n');
    await sleep(50);
    socket.destroy();
    await sleep(50);
    // Node alone tells only /slow, the response holding the socket
    expect(Object.fromEntries(closes)).toEqual({ '/slow': 1, '/queued': 1 });
  });

  it('leaves no listener behind on a kept-alive connection', async () => {
    const socket = await connect();
    for (let i = 0; i < 20; i++) socket.write(`GET /r${i} HTTP/1.1\r\nHost: x\r\n\r\n`);
    await sleep(100);
    expect(closes.size).toBe(20);
    // one listener per answered request would pile up to 20 (and warn at 11)
    expect(serverSocket!.listenerCount('close')).toBeLessThan(5);
    socket.destroy();
  });
});
