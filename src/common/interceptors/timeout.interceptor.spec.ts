import { CallHandler, ExecutionContext } from '@nestjs/common';
import { firstValueFrom, of, throwError, timer } from 'rxjs';
import { map } from 'rxjs/operators';
import { loadAppConfig } from '../../config/app-config';
import { ApiError } from '../api-errors';
import { TimeoutInterceptor } from './timeout.interceptor';

describe('TimeoutInterceptor', () => {
  const interceptor = new TimeoutInterceptor(
    loadAppConfig({ REQUEST_TIMEOUT_MS: '100', RETRY_AFTER_SECONDS: '2' }),
  );
  const context = {} as ExecutionContext;
  const handler = (source: CallHandler['handle']): CallHandler => ({ handle: source });

  it('passes fast responses through', async () => {
    await expect(
      firstValueFrom(
        interceptor.intercept(
          context,
          handler(() => of('ok')),
        ),
      ),
    ).resolves.toBe('ok');
  });

  it('turns a slow handler into a retryable 503', async () => {
    const slow = handler(() => timer(1000).pipe(map(() => 'late')));
    const error = await firstValueFrom(interceptor.intercept(context, slow)).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ApiError);
    expect(error).toMatchObject({ reason: 'request_timeout', retryAfterSeconds: 2 });
    expect((error as ApiError).getStatus()).toBe(503);
    expect((error as ApiError).message).toContain('REQUEST_TIMEOUT_MS');
  });

  it('leaves other errors alone', async () => {
    const boom = new Error('boom');
    const failing = handler(() => throwError(() => boom));
    await expect(firstValueFrom(interceptor.intercept(context, failing))).rejects.toBe(boom);
  });
});
