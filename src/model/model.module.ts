import { Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { MODEL_RUNTIME } from './model-runtime.port';
import { ModelService } from './model.service';
import { ModelHealthIndicator } from './model.health';
import { ModelsController } from './models.controller';
import { AdminModelsController } from './admin-models.controller';
import { AdminTokenGuard } from './admin-token.guard';
import { OnnxRuntimeAdapter } from './onnx-runtime.adapter';

/** The model repository: loads, reloads and serves model versions; the runtime behind MODEL_RUNTIME can be swapped in tests. */
@Module({
  imports: [TerminusModule],
  controllers: [ModelsController, AdminModelsController],
  providers: [
    { provide: MODEL_RUNTIME, useClass: OnnxRuntimeAdapter },
    ModelService,
    ModelHealthIndicator,
    AdminTokenGuard,
  ],
  exports: [ModelService, ModelHealthIndicator, MODEL_RUNTIME],
})
export class ModelModule {}
