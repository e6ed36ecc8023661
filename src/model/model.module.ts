import { Inject, Module, OnApplicationShutdown } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { FileModelRepository } from './file-model-repository';
import { MODEL_REPOSITORY, ModelRepository } from './model-repository.port';
import { MODEL_RUNTIME, ModelRuntime } from './model-runtime.port';
import { ModelRuntimeHealth } from './model-runtime-health';
import { ModelService } from './model.service';
import { ModelHealthIndicator } from './model.health';
import { ModelsController } from './models.controller';
import { AdminModelsController } from './admin-models.controller';
import { AdminTokenGuard } from './admin-token.guard';
import { OnnxRuntimeAdapter } from './onnx-runtime.adapter';
import { OnnxWorkerRuntime } from './onnx-worker-runtime.adapter';

/**
 * Loads, reloads and serves model versions. Where packages are kept (MODEL_REPOSITORY) and what
 * runs them (MODEL_RUNTIME) are ports, so either can be swapped, in tests or for another store.
 */
@Module({
  imports: [TerminusModule],
  controllers: [ModelsController, AdminModelsController],
  providers: [
    {
      provide: MODEL_REPOSITORY,
      inject: [APP_CONFIG],
      useFactory: ({ model }: AppConfig): ModelRepository => new FileModelRepository(model.dir),
    },
    {
      provide: MODEL_RUNTIME,
      inject: [APP_CONFIG],
      useFactory: ({ model }: AppConfig): ModelRuntime => {
        const options = { allowSpinning: model.allowSpinning };
        return model.workerThread
          ? new OnnxWorkerRuntime(options)
          : new OnnxRuntimeAdapter(options);
      },
    },
    ModelService,
    ModelHealthIndicator,
    AdminTokenGuard,
    ModelRuntimeHealth,
  ],
  exports: [ModelService, ModelHealthIndicator, ModelRuntimeHealth, MODEL_RUNTIME],
})
export class ModelModule implements OnApplicationShutdown {
  constructor(@Inject(MODEL_RUNTIME) private readonly runtime: ModelRuntime) {}

  // The module's hook runs after its providers' hooks, so ModelService has released the sessions.
  async onApplicationShutdown(): Promise<void> {
    await this.runtime.close?.();
  }
}
