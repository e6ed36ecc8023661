import { Global, Module } from '@nestjs/common';
import { DrainMiddleware } from './drain.middleware';
import { GracefulShutdown } from './graceful-shutdown.service';

/** The shutdown state, shared by the health routes, the drain middleware and main.ts. */
@Global()
@Module({
  providers: [GracefulShutdown, DrainMiddleware],
  exports: [GracefulShutdown, DrainMiddleware],
})
export class ShutdownModule {}
