import { CallHandler, ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { EventEmitter } from 'node:events';
import { firstValueFrom, of, throwError, timer } from 'rxjs';
import { map } from 'rxjs/operators';
import { loadAppConfig } from '../../config/app-config';
import { ApiError } from '../api-errors';
import { markArrival, requestAbortController } from '../request-abort';
import { Access, RouteAccess } from '../decorators/access.decorator';
import { TimeoutInterceptor } from './timeout.interceptor';

describe('TimeoutInterceptor', () => {
  const interceptor = new TimeoutInterceptor(
    loadAppConfig({ REQUEST_TIMEOUT_MS: '100', RETRY_AFTER_SECONDS: '2' }),
    new Reflector(),
  );
  /** An HTTP context over a bare request and a response that can emit 'close'. */
  const httpContext = (access?: Exclude<RouteAccess, 'api'>) => {
    const req = {};
    const res = Object.assign(new EventEmitter(), { writableFinished: false, closed: false });
    class Controller {
      route() {}
    }
    if (access) Access(access)(Controller);
    const context = {
      getType: () => 'http',
      switchToHttp: () => ({ getRequest: () => req, getResponse: () => res }),
      getHandler: () => Controller.prototype.route,
      getClass: () => Controller,
    } as unknown as ExecutionContext;
    return { req, res, context };
  };
  const handler = (source: CallHandler['handle']): CallHandler => ({ handle: source });

  it('passes fast responses through', async () => {
    const { context, req } = httpContext();
    await expect(
      firstValueFrom(
        interceptor.intercept(
          context,
          handler(() => of('ok')),
        ),
      ),
    ).resolves.toBe('ok');
    expect(requestAbortController(req).signal.aborted).toBe(false);
  });

  it('turns a slow handler into a 504 and aborts the request signal', async () => {
    const { context, req } = httpContext();
    const slow = handler(() => timer(1000).pipe(map(() => 'late')));
    const error = await firstValueFrom(interceptor.intercept(context, slow)).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ApiError);
    expect(error).toMatchObject({ reason: 'deadline_exceeded' });
    expect((error as ApiError).getStatus()).toBe(504);
    expect((error as ApiError).message).toContain('REQUEST_TIMEOUT_MS');
    const { signal } = requestAbortController(req);
    expect(signal.aborted).toBe(true);
    expect(signal.reason).toBe(error);
  });

  it('tells an admin caller past the deadline that its load goes on, not that it was cancelled', async () => {
    const { context } = httpContext('admin');
    const slow = handler(() => timer(1000).pipe(map(() => 'late')));
    const error = await firstValueFrom(interceptor.intercept(context, slow)).catch(
      (e: unknown) => e as ApiError,
    );
    expect(error).toMatchObject({ reason: 'deadline_exceeded' });
    expect((error as ApiError).message).toBe(
      'request took longer than 100 ms (REQUEST_TIMEOUT_MS); the load or unload it asked for goes on: GET /v1/models/{name} shows the outcome',
    );
  });

  it("counts the deadline from the request's arrival, body upload included", async () => {
    const oneSecond = new TimeoutInterceptor(
      loadAppConfig({ REQUEST_TIMEOUT_MS: '1000' }),
      new Reflector(),
    );
    const { context, req } = httpContext();
    markArrival(req);
    await new Promise((r) => setTimeout(r, 800)); // the body took 800 of the 1000 ms to arrive
    const started = performance.now();
    const slow = handler(() => timer(3000).pipe(map(() => 'late')));
    const error = await firstValueFrom(oneSecond.intercept(context, slow)).catch((e: unknown) => e);
    expect(error).toMatchObject({ reason: 'deadline_exceeded' });
    // about 200 ms were left; a deadline counted from here would have taken 1000
    expect(performance.now() - started).toBeLessThan(700);
  });

  it('aborts the signal when the client disconnects before the answer', () => {
    const { context, req, res } = httpContext();
    interceptor.intercept(
      context,
      handler(() => timer(50)),
    );
    res.emit('close');
    const { signal } = requestAbortController(req);
    expect(signal.aborted).toBe(true);
    expect(signal.reason).toMatchObject({ reason: 'client_closed' });
  });

  it('aborts the signal when the client left before the interceptor ran', () => {
    const { context, req, res } = httpContext();
    res.emit('close'); // Node emits 'close' once; a listener added later never hears it
    res.closed = true;
    interceptor.intercept(
      context,
      handler(() => timer(50)),
    );
    expect(requestAbortController(req).signal.reason).toMatchObject({ reason: 'client_closed' });
  });

  it('does not abort once the response has finished', () => {
    const { context, req, res } = httpContext();
    interceptor.intercept(
      context,
      handler(() => of('ok')),
    );
    res.writableFinished = true;
    res.emit('close');
    expect(requestAbortController(req).signal.aborted).toBe(false);
  });

  it('does not abort a request whose answer went out before the interceptor ran', () => {
    const { context, req, res } = httpContext();
    Object.assign(res, { closed: true, writableFinished: true });
    interceptor.intercept(
      context,
      handler(() => of('ok')),
    );
    expect(requestAbortController(req).signal.aborted).toBe(false);
  });

  it('leaves other errors alone', async () => {
    const boom = new Error('boom');
    const failing = handler(() => throwError(() => boom));
    await expect(
      firstValueFrom(interceptor.intercept(httpContext().context, failing)),
    ).rejects.toBe(boom);
  });
});
