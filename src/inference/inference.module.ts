import { Module } from '@nestjs/common';
import { ModelModule } from '../model/model.module';
import { MonitoringModule } from '../monitoring/monitoring.module';
import { BatchScheduler } from './batch-scheduler';
import { TranslationCache } from './translation-cache';
import { TranslationController } from './translation.controller';
import { TranslationService } from './translation.service';

/** The translate endpoints; decoding itself lives in Translator / Seq2SeqGenerator. */
@Module({
  imports: [ModelModule, MonitoringModule],
  controllers: [TranslationController],
  providers: [TranslationService, BatchScheduler, TranslationCache],
})
export class InferenceModule {}
