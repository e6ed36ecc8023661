import { EventEmitter } from 'node:events';
import type { Request, Response } from 'express';
import { HttpMetricsMiddleware, routeLabel } from './http-metrics.middleware';
import { ServiceMetrics } from './service-metrics';

describe('HttpMetricsMiddleware', () => {
  const setup = () => {
    const end = jest.fn();
    const metrics = {
      startHttpRequest: jest.fn(() => end),
      recordClientGone: jest.fn(),
    } as unknown as ServiceMetrics;
    const req = { method: 'POST', originalUrl: '/v1/translate' } as Request;
    const res = Object.assign(new EventEmitter(), {
      writableFinished: false,
      headersSent: false,
      statusCode: 200,
    });
    new HttpMetricsMiddleware(metrics).use(req, res as unknown as Response, () => undefined);
    return { end, metrics, req, res };
  };

  it('times a delivered answer with its status and counts no error', () => {
    const { end, metrics, res } = setup();
    Object.assign(res, { headersSent: true, writableFinished: true });
    res.emit('close');
    expect(end).toHaveBeenCalledWith('/v1/translate', 200);
    expect(metrics.recordClientGone).not.toHaveBeenCalled();
  });

  it('times a request the client left before any answer as 499 and reports the client gone', () => {
    const { end, metrics, req, res } = setup();
    res.emit('close');
    expect(end).toHaveBeenCalledWith('/v1/translate', 499);
    expect(metrics.recordClientGone).toHaveBeenCalledWith(req);
  });

  it('times an answer the client left during as 499, whatever status it had', () => {
    const { end, metrics, req, res } = setup();
    Object.assign(res, { headersSent: true, statusCode: 400 });
    res.emit('close');
    expect(end).toHaveBeenCalledWith('/v1/translate', 499);
    // ServiceMetrics counts the request once: a 400 counted when it was sent stays a 400
    expect(metrics.recordClientGone).toHaveBeenCalledWith(req);
  });
});

describe('routeLabel', () => {
  const req = (method: string, originalUrl: string, route?: { path: string }) =>
    ({ method, originalUrl, baseUrl: '', route }) as unknown as Request;

  it('names the matched controller pattern', () => {
    expect(routeLabel(req('GET', '/v1/models/en-hi', { path: '/v1/models/:name' }))).toBe(
      '/v1/models/:name',
    );
  });

  it('names the prediction route of a POST refused before routing (a bad body)', () => {
    expect(routeLabel(req('POST', '/v2/models/en-hi/infer'))).toBe('/v2/models/:name/infer');
  });

  it.each(['GET', 'PUT', 'OPTIONS'])(
    'labels %s on a prediction path "unmatched": no route serves it',
    (method) => {
      expect(routeLabel(req(method, '/v1/translate'))).toBe('unmatched');
    },
  );
});
