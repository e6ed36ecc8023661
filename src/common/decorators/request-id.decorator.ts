import { createParamDecorator, ExecutionContext } from '@nestjs/common';
import type { Request, Response } from 'express';
import { REQUEST_ID_HEADER } from '../../logging/request-id';

/** The request id pino-http assigned (also sent back as the x-request-id header). */
export const RequestId = createParamDecorator((_data: unknown, ctx: ExecutionContext): string => {
  const http = ctx.switchToHttp();
  const id = http.getRequest<Request & { id?: unknown }>().id;
  if (typeof id === 'string') return id;
  const header = http.getResponse<Response>().getHeader(REQUEST_ID_HEADER);
  return typeof header === 'string' ? header : '';
});
