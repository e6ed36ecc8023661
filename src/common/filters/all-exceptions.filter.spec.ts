import {
  ArgumentsHost,
  BadRequestException,
  Logger,
  NotFoundException,
  ServiceUnavailableException,
} from '@nestjs/common';
import { loadAppConfig } from '../../config/app-config';
import type { ServiceMetrics } from '../../metrics/service-metrics';
import { ApiError, modelNotReady } from '../api-errors';
import { AllExceptionsFilter } from './all-exceptions.filter';

function harness(path = '/v1/translate') {
  const res = {
    headersSent: false,
    headers: {} as Record<string, string>,
    statusCode: 0,
    body: undefined as unknown,
    setHeader(k: string, v: string) {
      this.headers[k] = v;
    },
    getHeader(k: string) {
      return this.headers[k];
    },
    status(code: number) {
      this.statusCode = code;
      return this;
    },
    json(body: unknown) {
      this.body = body;
      return this;
    },
  };
  const req = { id: 'req-1', path, method: 'POST', originalUrl: path };
  const host = {
    switchToHttp: () => ({ getRequest: () => req, getResponse: () => res }),
  } as unknown as ArgumentsHost;
  const metrics = { recordError: jest.fn() };
  const filter = new AllExceptionsFilter(
    loadAppConfig({ RETRY_AFTER_SECONDS: '9' }),
    metrics as unknown as ServiceMetrics,
  );
  return { filter, host, req, res, metrics };
}

describe('AllExceptionsFilter', () => {
  it('renders ApiErrors with reason, details and request id, and counts them', () => {
    const { filter, host, req, res, metrics } = harness();
    filter.catch(
      new ApiError(400, 'validation_failed', 'bad', undefined, [
        { field: 'text', rule: 'x', message: 'bad' },
      ]),
      host,
    );
    expect(res.statusCode).toBe(400);
    expect(res.body).toEqual({
      statusCode: 400,
      error: 'Bad Request',
      reason: 'validation_failed',
      message: 'bad',
      details: [{ field: 'text', rule: 'x', message: 'bad' }],
      request_id: 'req-1',
    });
    // with the request itself, so that it counts once (see ServiceMetrics.recordError)
    expect(metrics.recordError).toHaveBeenCalledWith('validation_failed', true, req);
  });

  it('adds Retry-After to 503s', () => {
    const { filter, host, res } = harness();
    filter.catch(modelNotReady('loading', 3), host);
    expect(res.statusCode).toBe(503);
    expect(res.headers['Retry-After']).toBe('3');
    const other = harness('/health/ready');
    other.filter.catch(
      new ServiceUnavailableException({ status: 'error', info: {}, error: {}, details: {} }),
      other.host,
    );
    expect(other.res.headers['Retry-After']).toBe('9');
    // terminus health reports keep their documented body
    expect(other.res.body).toEqual({ status: 'error', info: {}, error: {}, details: {} });
    expect(other.metrics.recordError).toHaveBeenCalledWith(
      'model_not_ready',
      false,
      expect.anything(),
    );
  });

  it.each([
    [{ model: { status: 'down' } }, 'model_not_ready'],
    [{ model: { status: 'down' }, memory_heap: { status: 'down' } }, 'model_not_ready'],
    [{ memory_heap: { status: 'down' } }, 'health_check_failed'],
    [{ runtime: { status: 'down' } }, 'health_check_failed'],
  ])('counts a health report failing on %j as %s', (error, reason) => {
    const h = harness('/health');
    const report = { status: 'error', info: {}, error, details: error };
    h.filter.catch(new ServiceUnavailableException(report), h.host);
    expect(h.res.body).toEqual(report);
    expect(h.metrics.recordError).toHaveBeenCalledWith(reason, false, expect.anything());
  });

  it('maps framework HttpExceptions to reasons', () => {
    const notFound = harness('/nope');
    notFound.filter.catch(new NotFoundException('Cannot GET /nope'), notFound.host);
    expect(notFound.res.body).toMatchObject({
      statusCode: 404,
      reason: 'route_not_found',
      error: 'Not Found',
    });
    const bad = harness();
    bad.filter.catch(new BadRequestException('nope'), bad.host);
    expect(bad.res.body).toMatchObject({ statusCode: 400, reason: 'validation_failed' });
  });

  it('hides unexpected errors behind a logged 500', () => {
    const error = jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
    const { filter, host, res, metrics } = harness();
    filter.catch(new TypeError('secret internals'), host);
    expect(res.statusCode).toBe(500);
    expect(res.body).toMatchObject({ reason: 'internal', message: 'internal server error' });
    expect(JSON.stringify(res.body)).not.toContain('secret');
    expect(error).toHaveBeenCalled();
    expect(metrics.recordError).toHaveBeenCalledWith('internal', true, expect.anything());
    error.mockRestore();
  });
});
