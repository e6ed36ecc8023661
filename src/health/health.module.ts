import { Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { ModelModule } from '../model/model.module';
import { HealthController } from './health.controller';

/** Wires the terminus endpoints; the model indicator lives beside ModelService. */
@Module({
  imports: [
    // The SIGTERM grace period is GracefulShutdown's (src/shutdown), not terminus's: it has to
    // fail the health routes at once and also refuse new requests after the grace.
    TerminusModule.forRoot({ errorLogStyle: 'json' }),
    ModelModule,
  ],
  controllers: [HealthController],
})
export class HealthModule {}
