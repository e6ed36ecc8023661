import { once } from 'node:events';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as net from 'node:net';
import { relayConnectionClose } from './http-server';

/**
 * A server whose /hold* requests stay unanswered, /late* ones are answered after 30 ms and the rest
 * at once; it counts the 'close' events of each response.
 */
describe('relayConnectionClose', () => {
  let server: http.Server;
  let serverSocket: net.Socket;
  const closes = new Map<string, number>();
  const closed = new Map<string, Promise<unknown>>();
  const held: http.ServerResponse[] = [];

  beforeEach(async () => {
    closes.clear();
    closed.clear();
    server = http.createServer((req, res) => {
      const url = req.url!;
      serverSocket = req.socket;
      closed.set(url, once(res, 'close'));
      res.on('close', () => closes.set(url, (closes.get(url) ?? 0) + 1));
      if (url.startsWith('/hold')) held.push(res);
      else if (url.startsWith('/late')) setTimeout(() => res.end('late'), 30);
      else res.end('ok');
    });
    server.on('request', relayConnectionClose);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  });
  afterEach(async () => {
    held.splice(0).forEach((res) => res.end());
    await new Promise((r) => server.close(r));
  });

  const connect = async (requests: string[]) => {
    const socket = net.connect((server.address() as AddressInfo).port, '127.0.0.1');
    socket.on('error', () => undefined);
    await once(socket, 'connect');
    socket.write(requests.map((url) => `GET ${url} HTTP/1.1\r\nHost: x\r\n\r\n`).join(''));
    return socket;
  };
  /** Resolves once the server has seen every one of these requests. */
  const received = async (urls: string[]) => {
    while (!urls.every((url) => closed.has(url))) await new Promise((r) => setTimeout(r, 5));
  };
  /** A few turns of the event loop, for a second 'close' that should not come. */
  const settle = async () => {
    for (let i = 0; i < 3; i++) await new Promise((r) => setImmediate(r));
  };

  it('closes a response queued behind a pipelined request when the client leaves, once', async () => {
    const socket = await connect(['/hold', '/queued']);
    await received(['/hold', '/queued']);
    socket.destroy();
    await Promise.all([closed.get('/hold')!, closed.get('/queued')!]); // Node alone tells only /hold
    await settle();
    expect(Object.fromEntries(closes)).toEqual({ '/hold': 1, '/queued': 1 });
  });

  it('leaves a queued response that got the connection before it closed to Node: one close', async () => {
    const socket = await connect(['/late', '/hold-next']);
    await received(['/late', '/hold-next']);
    await closed.get('/late'); // answered: /hold-next now holds the connection
    socket.destroy();
    await closed.get('/hold-next');
    await settle();
    expect(closes.get('/hold-next')).toBe(1);
  });

  it('adds one listener per connection however many requests are pipelined on it', async () => {
    const urls = Array.from({ length: 15 }, (_, i) => `/hold${i}`);
    const warnings: Error[] = [];
    const onWarning = (w: Error) => warnings.push(w);
    process.on('warning', onWarning);
    const socket = await connect(urls);
    await received(urls);
    expect(serverSocket.listenerCount('close')).toBeLessThan(5);
    socket.destroy();
    await Promise.all(urls.map((url) => closed.get(url)!));
    await settle();
    process.off('warning', onWarning);
    expect(warnings.filter((w) => w.name === 'MaxListenersExceededWarning')).toEqual([]);
    expect([...closes.values()].every((n) => n === 1)).toBe(true);
  });
});
