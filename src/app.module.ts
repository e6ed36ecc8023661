import {
  DynamicModule,
  MiddlewareConsumer,
  Module,
  NestModule,
  RequestMethod,
} from '@nestjs/common';
import { APP_FILTER, APP_GUARD, APP_INTERCEPTOR, APP_PIPE } from '@nestjs/core';
import { ThrottlerModule } from '@nestjs/throttler';
import { AllExceptionsFilter } from './common/filters/all-exceptions.filter';
import { ApiKeyGuard } from './common/guards/api-key.guard';
import {
  AddressRateLimitGuard,
  KeyRateLimitGuard,
  rateLimitOptions,
} from './common/guards/rate-limit.guard';
import { TimeoutInterceptor } from './common/interceptors/timeout.interceptor';
import { JsonBodyMiddleware } from './common/middleware/json-body.middleware';
import { RequestLimitsMiddleware } from './common/middleware/request-limits.middleware';
import { createValidationPipe } from './common/pipes/validation.pipe';
import { ROUTES } from './app.routes';
import { APP_CONFIG, AppConfig, loadAppConfig } from './config/app-config';
import { ConfigModule } from './config/config.module';
import { HealthModule } from './health/health.module';
import { InferenceModule } from './inference/inference.module';
import { OpenInferenceBodyMiddleware } from './inference/open-inference/open-inference-body.middleware';
import { LoggingModule } from './logging/logging.module';
import { MetricsModule } from './metrics/metrics.module';
import { ModelModule } from './model/model.module';
import { MonitoringModule } from './monitoring/monitoring.module';
import { DrainMiddleware } from './shutdown/drain.middleware';
import { ShutdownModule } from './shutdown/shutdown.module';

@Module({})
export class AppModule implements NestModule {
  /** `config` defaults to the validated process environment; tests pass their own. */
  static forRoot(config: AppConfig = loadAppConfig()): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ConfigModule.forRoot(config),
        ShutdownModule,
        ThrottlerModule.forRootAsync({ inject: [APP_CONFIG], useFactory: rateLimitOptions }),
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
        // In this order: every request counts against its address, wrong keys included; a key
        // is verified before it is counted against its own limit.
        { provide: APP_GUARD, useClass: AddressRateLimitGuard },
        { provide: APP_GUARD, useClass: ApiKeyGuard },
        { provide: APP_GUARD, useClass: KeyRateLimitGuard },
        RequestLimitsMiddleware,
        JsonBodyMiddleware,
        OpenInferenceBodyMiddleware,
      ],
    };
  }

  // Global modules' middleware (logging, metrics) is registered first, so it already runs when a
  // request is refused here (URL too long, shutting down) or its body fails to parse. Every body
  // parser is applied here, after the URL limit and the drain, rather than by a feature module
  // (whose order against this one Nest decides by module distance): an upload still in progress
  // counts as in flight, and a URL over the limit is refused before its body is read.
  configure(consumer: MiddlewareConsumer): void {
    consumer.apply(RequestLimitsMiddleware, DrainMiddleware).forRoutes('*');
    // The Open Inference Protocol routes parse their own bodies, to answer in their error shape.
    const v2 = [
      { path: ROUTES.v2, method: RequestMethod.ALL },
      { path: `${ROUTES.v2}/*path`, method: RequestMethod.ALL },
    ];
    consumer.apply(OpenInferenceBodyMiddleware).forRoutes(...v2);
    consumer
      .apply(JsonBodyMiddleware)
      .exclude(...v2)
      .forRoutes('*');
  }
}
