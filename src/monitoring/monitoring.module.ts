import { Module } from '@nestjs/common';
import { ModelModule } from '../model/model.module';
import { DriftController } from './drift.controller';
import { DriftService } from './drift.service';

/** Input drift detection against the model's training profile. */
@Module({
  imports: [ModelModule],
  controllers: [DriftController],
  providers: [DriftService],
  exports: [DriftService],
})
export class MonitoringModule {}
