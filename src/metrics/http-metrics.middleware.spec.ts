import { EventEmitter } from 'node:events';
import type { Request, Response } from 'express';
import { HttpMetricsMiddleware } from './http-metrics.middleware';
import { ServiceMetrics } from './service-metrics';

describe('HttpMetricsMiddleware', () => {
  const setup = () => {
    const end = jest.fn();
    const metrics = {
      startHttpRequest: jest.fn(() => end),
      recordClientGone: jest.fn(),
    } as unknown as ServiceMetrics;
    const req = { method: 'POST', originalUrl: '/v1/translate' } as Request;
    const res = Object.assign(new EventEmitter(), { writableFinished: false, statusCode: 200 });
    new HttpMetricsMiddleware(metrics).use(req, res as unknown as Response, () => undefined);
    return { end, metrics, res };
  };

  it('times a delivered answer with its status and counts no error', () => {
    const { end, metrics, res } = setup();
    res.writableFinished = true;
    res.emit('close');
    expect(end).toHaveBeenCalledWith('/v1/translate', 200);
    expect(metrics.recordClientGone).not.toHaveBeenCalled();
  });

  it('times an answer the client left before as 499 and counts one client_closed', () => {
    const { end, metrics, res } = setup();
    res.emit('close'); // never finished: the work may have completed, the client was gone
    expect(end).toHaveBeenCalledWith('/v1/translate', 499);
    expect(metrics.recordClientGone).toHaveBeenCalledWith(true);
  });
});
