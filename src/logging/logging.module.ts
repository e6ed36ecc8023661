import { Global, Module } from '@nestjs/common';
import { LoggerModule } from 'nestjs-pino';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { loggerOptions } from './logger-options';
import { PredictionLogger } from './prediction-logger.service';

/** Structured request/app logging (nestjs-pino) and the prediction log. */
@Global()
@Module({
  imports: [
    LoggerModule.forRootAsync({
      inject: [APP_CONFIG],
      useFactory: (config: AppConfig) => loggerOptions(config),
    }),
  ],
  providers: [PredictionLogger],
  exports: [PredictionLogger],
})
export class LoggingModule {}
