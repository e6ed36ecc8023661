import {
  DynamicModule,
  MiddlewareConsumer,
  Module,
  NestModule,
  RequestMethod,
} from '@nestjs/common';
import { APP_FILTER, APP_INTERCEPTOR, APP_PIPE } from '@nestjs/core';
import { AllExceptionsFilter } from './common/filters/all-exceptions.filter';
import { TimeoutInterceptor } from './common/interceptors/timeout.interceptor';
import { JsonBodyMiddleware } from './common/middleware/json-body.middleware';
import { createValidationPipe } from './common/pipes/validation.pipe';
import { ROUTES } from './app.routes';
import { AppConfig, loadAppConfig } from './config/app-config';
import { ConfigModule } from './config/config.module';
import { HealthModule } from './health/health.module';
import { InferenceModule } from './inference/inference.module';
import { LoggingModule } from './logging/logging.module';
import { MetricsModule } from './metrics/metrics.module';
import { ModelModule } from './model/model.module';
import { MonitoringModule } from './monitoring/monitoring.module';

@Module({})
export class AppModule implements NestModule {
  /** `config` defaults to the validated process environment; tests pass their own. */
  static forRoot(config: AppConfig = loadAppConfig()): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ConfigModule.forRoot(config),
        LoggingModule,
        MetricsModule,
        ModelModule,
        InferenceModule,
        MonitoringModule,
        HealthModule,
      ],
      providers: [
        { provide: APP_PIPE, useFactory: createValidationPipe },
        { provide: APP_FILTER, useClass: AllExceptionsFilter },
        { provide: APP_INTERCEPTOR, useClass: TimeoutInterceptor },
        JsonBodyMiddleware,
      ],
    };
  }

  // Registered last (root module), so logging and metrics middleware already run when parsing fails.
  configure(consumer: MiddlewareConsumer): void {
    // The Open Inference Protocol routes parse their own bodies, to answer in their error shape.
    consumer
      .apply(JsonBodyMiddleware)
      .exclude({ path: `${ROUTES.v2}/*path`, method: RequestMethod.ALL })
      .forRoutes('*');
  }
}
