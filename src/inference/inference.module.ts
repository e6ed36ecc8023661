import { Module } from '@nestjs/common';
import { ModelModule } from '../model/model.module';
import { MonitoringModule } from '../monitoring/monitoring.module';
import { BatchScheduler } from './batch-scheduler';
import { OpenInferenceController } from './open-inference/open-inference.controller';
import { readServerInfo, SERVER_INFO } from './open-inference/server-info';
import { TranslationCache } from './translation-cache';
import { TranslationController } from './translation.controller';
import { TranslationService } from './translation.service';

/** The translate endpoints (v1 and the Open Inference Protocol); decoding itself lives in Translator / Seq2SeqGenerator. */
@Module({
  imports: [ModelModule, MonitoringModule],
  controllers: [TranslationController, OpenInferenceController],
  providers: [
    TranslationService,
    BatchScheduler,
    TranslationCache,
    { provide: SERVER_INFO, useFactory: readServerInfo },
  ],
})
// The V2 body parser (OpenInferenceBodyMiddleware) is applied by AppModule, after the drain.
export class InferenceModule {}
