import { DynamicModule, Global, Module } from '@nestjs/common';
import { APP_CONFIG, AppConfig, loadAppConfig } from './app-config';

/**
 * Global module exposing the validated AppConfig under APP_CONFIG.
 * `forRoot()` reads process.env; tests pass an explicit config.
 */
@Global()
@Module({})
export class ConfigModule {
  static forRoot(config: AppConfig = loadAppConfig()): DynamicModule {
    return {
      module: ConfigModule,
      providers: [{ provide: APP_CONFIG, useValue: config }],
      exports: [APP_CONFIG],
    };
  }
}
