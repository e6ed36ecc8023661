import { Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { MODEL_RUNTIME } from './model-runtime.port';
import { ModelRuntimeHealth } from './model-runtime-health';
import { ModelService } from './model.service';
import { ModelHealthIndicator } from './model.health';
import { ModelsController } from './models.controller';
import { OnnxRuntimeAdapter } from './onnx-runtime.adapter';

/** Loads and serves one model version; the runtime behind MODEL_RUNTIME can be swapped in tests. */
@Module({
  imports: [TerminusModule],
  controllers: [ModelsController],
  providers: [
    { provide: MODEL_RUNTIME, useClass: OnnxRuntimeAdapter },
    ModelService,
    ModelHealthIndicator,
    ModelRuntimeHealth,
  ],
  exports: [ModelService, ModelHealthIndicator, ModelRuntimeHealth, MODEL_RUNTIME],
})
export class ModelModule {}
