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
    const res = Object.assign(new EventEmitter(), {
      writableFinished: false,
      headersSent: false,
      statusCode: 200,
    });
    new HttpMetricsMiddleware(metrics).use(req, res as unknown as Response, () => undefined);
    return { end, metrics, res };
  };

  it('times a delivered answer with its status and counts no error', () => {
    const { end, metrics, res } = setup();
    Object.assign(res, { headersSent: true, writableFinished: true });
    res.emit('close');
    expect(end).toHaveBeenCalledWith('/v1/translate', 200);
    expect(metrics.recordClientGone).not.toHaveBeenCalled();
  });

  it('times a request the client left before any answer as 499 and counts one client_closed', () => {
    const { end, metrics, res } = setup();
    res.emit('close');
    expect(end).toHaveBeenCalledWith('/v1/translate', 499);
    expect(metrics.recordClientGone).toHaveBeenCalledTimes(1);
  });

  it('counts a finished translation the client left during as client_closed', () => {
    const { end, metrics, res } = setup();
    res.headersSent = true; // the 200 had begun going out
    res.emit('close');
    expect(end).toHaveBeenCalledWith('/v1/translate', 499);
    expect(metrics.recordClientGone).toHaveBeenCalledTimes(1);
  });

  it('does not count an error answer the client left during a second time', () => {
    const { end, metrics, res } = setup();
    Object.assign(res, { headersSent: true, statusCode: 400 }); // counted by the filter
    res.emit('close');
    expect(end).toHaveBeenCalledWith('/v1/translate', 499);
    expect(metrics.recordClientGone).not.toHaveBeenCalled();
  });
});
