import { Module } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { TerminusModule } from '@nestjs/terminus';
import { ModelModule } from '../model/model.module';
import { HealthController } from './health.controller';

/** Wires the terminus endpoints; the model indicator lives beside ModelService. */
@Module({
  imports: [
    // On SIGTERM terminus answers 503 "shutting_down" on every health route at once, then waits
    // SHUTDOWN_GRACE_MS (requests are still served) so load balancers stop routing here first.
    TerminusModule.forRootAsync({
      inject: [APP_CONFIG],
      useFactory: (config: AppConfig) => ({
        errorLogStyle: 'json',
        gracefulShutdownTimeoutMs: config.http.shutdownGraceMs,
      }),
    }),
    ModelModule,
  ],
  controllers: [HealthController],
})
export class HealthModule {}
