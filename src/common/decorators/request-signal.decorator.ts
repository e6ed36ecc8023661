import { createParamDecorator, ExecutionContext } from '@nestjs/common';
import type { Request } from 'express';
import { requestAbortController } from '../request-abort';

/** Aborts when the request's deadline passes or its client disconnects (see TimeoutInterceptor). */
export const RequestSignal = createParamDecorator(
  (_data: unknown, ctx: ExecutionContext): AbortSignal =>
    requestAbortController(ctx.switchToHttp().getRequest<Request>()).signal,
);
