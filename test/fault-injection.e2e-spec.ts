import { writeFileSync } from 'node:fs';
import * as http from 'node:http';
import * as net from 'node:net';
import * as path from 'node:path';
import { copyTinyPackage } from './support/e2e-app';
import { Answer, call, ServiceProcess, startService, stopService } from './support/service-process';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Opens a socket and sends `head` (an incomplete request); resolves once connected. */
function openPartial(port: number, head: string): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1', () => {
      socket.write(head);
      resolve(socket);
    });
    socket.on('error', reject);
  });
}

/** Resolves with everything the server wrote and when it closed the socket. */
const closedBy = (socket: net.Socket) =>
  new Promise<{ data: string; at: number }>((resolve) => {
    let data = '';
    socket.on('data', (c) => (data += c.toString()));
    socket.on('close', () => resolve({ data, at: Date.now() }));
  });

/** The service's metric value for a series (first match), from /metrics. */
async function metric(port: number, series: string): Promise<number> {
  const text = (await call(port, 'GET', '/metrics')).body;
  const line = text.split('\n').find((l) => l.startsWith(series));
  return line ? Number(line.split(' ').at(-1)) : 0;
}

describe('fault injection (the built server as a child process)', () => {
  let service: ServiceProcess | undefined;
  afterEach(() => stopService(service));

  it('corrupt model at start: live 200, ready 503 with the reason, requests 503', async () => {
    const { modelDir, versionDir } = copyTinyPackage();
    writeFileSync(path.join(versionDir, 'onnx', 'encoder_model.onnx'), 'not an onnx graph');
    service = await startService(
      { MODEL_DIR: modelDir, REQUIRE_CHECKSUMS: 'false' },
      { waitReady: false },
    );
    const { port } = service;
    let ready: Answer;
    const deadline = Date.now() + 15000;
    do {
      ready = await call(port, 'GET', '/health/ready');
      const state = (ready.json?.error as { model?: { state?: string } } | undefined)?.model?.state;
      if (state === 'failed') break;
      await sleep(100);
    } while (Date.now() < deadline);
    expect(ready.status).toBe(503);
    const model = (ready.json!.error as Record<string, Record<string, string>>).model;
    expect(model.state).toBe('failed');
    expect(model.reason).toMatch(/encoder_model\.onnx|protobuf|onnx/i);
    expect(ready.body).not.toContain(modelDir);
    expect((await call(port, 'GET', '/health/live')).status).toBe(200);
    const translate = await call(port, 'POST', '/v1/translate', { text: 'Hello' });
    expect(translate.status).toBe(503);
    expect(translate.json).toMatchObject({ reason: 'model_not_ready' });
    expect(translate.headers['retry-after']).toBeDefined();
    expect(service.child.exitCode).toBeNull();
  });

  it('SIGTERM under load: readiness 503 at once, no request lost, in-flight ones finish, exit 0', async () => {
    service = await startService({ SHUTDOWN_GRACE_MS: '600', REQUEST_TIMEOUT_MS: '20000' });
    const { port, child } = service;
    const results: { sentAt: number; outcome: string }[] = [];
    let sigtermAt = Infinity;

    async function client(c: number): Promise<void> {
      const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
      try {
        for (let i = 0; ; i++) {
          const sentAt = Date.now();
          try {
            const answer = await call(
              port,
              'POST',
              '/v1/translate',
              { text: [`Request ${i} of client ${c}.`, 'The weather is nice today.'] },
              { agent },
            );
            results.push({ sentAt, outcome: String(answer.status) });
            // a balancer takes an instance that says it is going out of rotation
            if (answer.status === 503) return;
          } catch (e) {
            const code = (e as NodeJS.ErrnoException).code ?? (e as Error).message;
            results.push({ sentAt, outcome: code });
            // a refused connection carried no request: nothing was lost, the instance is gone
            if (code === 'ECONNREFUSED' || sentAt > sigtermAt + 5000) return;
          }
        }
      } finally {
        agent.destroy();
      }
    }

    // Two raw connections opened before SIGTERM: a request whose body is still uploading (in
    // flight throughout the drain, finished on cue) and an idle keep-alive connection.
    const body = JSON.stringify({ text: 'Hello from a slow upload.' });
    const slow = await openPartial(
      port,
      `POST /v1/translate HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body.slice(0, 10)}`,
    );
    const slowAnswer = closedBy(slow);
    const idle = await openPartial(port, 'GET /v1/models HTTP/1.1\r\nHost: x\r\n\r\n');
    const idleAnswers = closedBy(idle);

    const clients = Array.from({ length: 8 }, (_, c) => client(c));
    await sleep(1500);
    const before = results.length;
    sigtermAt = Date.now();
    child.kill('SIGTERM');
    await sleep(20); // the signal reaches the child's event loop
    const readiness: number[] = [];
    const v2Readiness: number[] = [];
    while (Date.now() - sigtermAt < 400) {
      readiness.push((await call(port, 'GET', '/health/ready')).status);
      // the Open Inference Protocol's readiness says "not ready" (400), not a drain refusal;
      // an answer that comes after the grace period (a loaded machine) may be the drain's 503
      const v2 = (await call(port, 'GET', '/v2/health/ready')).status;
      if (Date.now() - sigtermAt < 550) v2Readiness.push(v2);
      await sleep(50);
    }
    await sleep(600); // past SHUTDOWN_GRACE_MS: draining, held open by the slow upload
    expect(child.exitCode).toBeNull();
    idle.write(
      'POST /v1/translate HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 15\r\n\r\n{"text":"Late"}',
    );
    const refused = await idleAnswers;
    slow.write(body.slice(10));
    const finished = await slowAnswer;
    const exit = await service.exited;
    await Promise.all(clients);

    expect(before).toBeGreaterThan(0);
    expect(readiness.length).toBeGreaterThan(0);
    expect(readiness.every((s) => s === 503)).toBe(true);
    expect(v2Readiness.length).toBeGreaterThan(0);
    expect(v2Readiness.every((s) => s === 400)).toBe(true);
    // the late request on an open connection: 503 shutting_down, Connection: close, then closed
    const late = refused.data.slice(refused.data.lastIndexOf('HTTP/1.1 '));
    expect(late).toMatch(/^HTTP\/1\.1 503 /);
    expect(late).toMatch(/\r\nconnection: close\r\n/i);
    expect(late).toMatch(/\r\nretry-after: \d+\r\n/i);
    expect(late).toContain('"reason":"shutting_down"');
    // the upload in flight at SIGTERM was finished and answered
    expect(finished.data).toMatch(/^HTTP\/1\.1 200 /);
    expect(finished.data).toContain('"translations"');
    expect(exit).toMatchObject({ code: 0, signal: null });
    // every request got an answer (a refused connection carried none)
    const lost = results.filter((r) => !['200', '503', 'ECONNREFUSED'].includes(r.outcome));
    expect(lost).toEqual([]);
    // requests in flight at SIGTERM, and those sent during the grace period, were served
    expect(results.filter((r) => r.sentAt < sigtermAt).every((r) => r.outcome === '200')).toBe(
      true,
    );
    expect(results.some((r) => r.sentAt >= sigtermAt && r.outcome === '200')).toBe(true);
    expect(exit.at - sigtermAt).toBeLessThan(10000);
  }, 40000);

  it('a second SIGTERM stops at once; the drain deadline stops a request that never ends', async () => {
    // a request whose body never finishes is in flight and cannot end on its own
    const hang = (port: number) =>
      openPartial(
        port,
        'POST /v1/translate HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"te',
      );

    service = await startService({ REQUEST_TIMEOUT_MS: '60000' });
    await hang(service.port);
    await sleep(200);
    const first = Date.now();
    service.child.kill('SIGTERM');
    await sleep(300);
    expect(service.child.exitCode).toBeNull(); // draining, waiting for the hung request
    service.child.kill('SIGTERM');
    const forced = await service.exited;
    expect(forced.code).toBe(1);
    expect(forced.at - first).toBeLessThan(3000);

    // drain deadline = REQUEST_TIMEOUT_MS + 1 s margin
    service = await startService({ REQUEST_TIMEOUT_MS: '1000' });
    await hang(service.port);
    await sleep(200);
    const sent = Date.now();
    service.child.kill('SIGTERM');
    const cut = await service.exited;
    expect(cut.code).toBe(1);
    expect(cut.at - sent).toBeGreaterThanOrEqual(1900);
    expect(cut.at - sent).toBeLessThan(6000);
  }, 30000);

  it('clients that drop connections mid-request cancel their work and leave the server healthy', async () => {
    service = await startService({ TRANSLATION_CACHE_SIZE: '0' });
    const { port } = service;
    const otherErrors = async () =>
      (await call(port, 'GET', '/metrics')).body
        .split('\n')
        .filter((l) => l.startsWith('anuvaad_errors_total') && !l.includes('client_closed'));
    const otherErrorsAtStart = await otherErrors(); // e.g. start-up's wait for the model
    const body = JSON.stringify({
      // 32 sentences. The tiny model decodes them in tens of ms, so some clients are answered
      // before they leave: this test is about the server staying healthy and counting right;
      // that a client's leaving stops its decoding is shown in throughput.e2e-spec.ts
      text: Array.from(
        { length: 8 },
        (_, i) =>
          `Dropped sentence ${i} about a long walk. It rained all day. We went home late. The end came.`,
      ),
      max_new_tokens: 256,
    });
    for (let i = 0; i < 12; i++) {
      const socket = await openPartial(
        port,
        `POST /v1/translate HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
      );
      await sleep(20 + (i % 4) * 15);
      socket.destroy();
    }
    // and one client gives up halfway through sending its body: nobody to answer, not a bad body
    const abandoned = await openPartial(
      port,
      `POST /v1/translate HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body.slice(0, 40)}`,
    );
    await sleep(50);
    abandoned.destroy();
    // the cancelled requests leave the queue; the service answers normally
    const deadline = Date.now() + 10000;
    while ((await metric(port, 'anuvaad_batch_queue_length')) > 0 && Date.now() < deadline) {
      await sleep(100);
    }
    expect(await metric(port, 'anuvaad_batch_queue_length')).toBe(0);
    const ok = await call(port, 'POST', '/v1/translate', { text: 'Hello.' });
    expect(ok.status).toBe(200);
    expect((await call(port, 'GET', '/health/ready')).status).toBe(200);
    const errors = (await call(port, 'GET', '/metrics')).body;
    expect(errors).toMatch(/anuvaad_errors_total\{[^}]*reason="client_closed"[^}]*\} [1-9]/);
    // the dropped requests are timed as 499s, not as successes
    const count = (pattern: RegExp) => Number(pattern.exec(errors)?.[1] ?? 0);
    const closed = count(/anuvaad_errors_total\{[^}]*reason="client_closed"[^}]*\} (\d+)/);
    const timed499 = count(
      /anuvaad_http_request_duration_seconds_count\{[^}]*route="\/v1\/translate",status_code="499"[^}]*\} (\d+)/,
    );
    expect(timed499).toBe(closed);
    // every request is timed once (13 dropped, some perhaps answered in time, and the last one)
    // and a client leaving is never counted as anything else
    const timed = [
      ...errors.matchAll(
        /anuvaad_http_request_duration_seconds_count\{[^}]*route="\/v1\/translate"[^}]*\} (\d+)/g,
      ),
    ].reduce((sum, m) => sum + Number(m[1]), 0);
    expect(timed).toBe(14);
    expect(await otherErrors()).toEqual(otherErrorsAtStart);
    expect(service.child.exitCode).toBeNull();
  }, 30000);

  it('slow clients holding sockets are cut off by the header, request and keep-alive deadlines', async () => {
    service = await startService({
      HEADERS_TIMEOUT_MS: '800',
      RECEIVE_TIMEOUT_MS: '1500',
      KEEP_ALIVE_TIMEOUT_MS: '500',
    });
    const { port } = service;
    const started = Date.now();
    // slowloris: headers that never end; a body that never ends; an idle keep-alive socket
    const slowHeaders = await Promise.all(
      Array.from({ length: 10 }, () =>
        openPartial(port, 'GET /health/live HTTP/1.1\r\nHost: x\r\n'),
      ),
    );
    const slowBody = await openPartial(
      port,
      'POST /v1/translate HTTP/1.1\r\nHost: x\r\nx-request-id: slow-body-1\r\nContent-Type: application/json\r\nContent-Length: 50\r\n\r\n{',
    );
    const idle = await openPartial(port, 'GET /health/live HTTP/1.1\r\nHost: x\r\n\r\n');
    const drip = setInterval(() => {
      for (const s of slowHeaders) if (!s.destroyed) s.write('X-Drip: 1\r\n');
    }, 200);
    try {
      // others are served meanwhile
      const t0 = Date.now();
      expect((await call(port, 'GET', '/health/ready')).status).toBe(200);
      expect(Date.now() - t0).toBeLessThan(2000);

      const headerCuts = await Promise.all(slowHeaders.map(closedBy));
      for (const cut of headerCuts) {
        expect(cut.data).toMatch(/^HTTP\/1\.1 408 /);
        expect(cut.data).toContain('"reason":"request_timeout"');
        expect(cut.at - started).toBeLessThan(3000);
      }
      const bodyCut = await closedBy(slowBody);
      expect(bodyCut.at - started).toBeLessThan(4000);
      // the request existed: its 408 keeps its request id and is counted like any answer
      expect(bodyCut.data).toMatch(/^HTTP\/1\.1 408 /);
      expect(bodyCut.data).toMatch(/x-request-id: slow-body-1/i);
      expect(bodyCut.data).toContain('"reason":"request_timeout"');
      const idleCut = await closedBy(idle);
      expect(idleCut.data).toMatch(/^HTTP\/1\.1 200 /);
      expect(idleCut.at - started).toBeLessThan(3000);
    } finally {
      clearInterval(drip);
    }
    const metrics = (await call(port, 'GET', '/metrics')).body;
    // ten header timeouts answered on bare sockets and the body timeout, none as anything else
    expect(metrics).toMatch(/anuvaad_errors_total\{[^}]*reason="request_timeout"[^}]*\} 11\n/);
    expect(metrics).not.toMatch(/reason="validation_failed"/);
    expect(metrics).toMatch(
      /anuvaad_http_request_duration_seconds_count\{[^}]*route="\/v1\/translate",status_code="408"[^}]*\} 1\n/,
    );
    // the body timeout was a translate request: it counts as a failed prediction
    const summary = await call(port, 'GET', '/metrics/summary');
    expect(summary.json).toMatchObject({ errors: 1 });
    expect(service.child.exitCode).toBeNull();
  }, 30000);
});
