import { Inject, Injectable, OnApplicationShutdown } from '@nestjs/common';
import * as path from 'node:path';
import pino, { Logger } from 'pino';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { PREDICTIONS_LOG_FILE } from './logger-options';

const STDOUT_FD = 1;

export interface PredictionRecord {
  request_id: string;
  endpoint: string;
  model_name: string;
  model_version: string;
  texts: number;
  input_tokens: number;
  output_tokens: number;
  beam_size: number;
  latency_ms: number;
  /** texts whose source was cut to the model's length or whose output stopped at max_new_tokens */
  truncated_texts: number;
  /** only with LOG_PREDICTION_TEXT=true: user text can be personal data */
  source?: string[];
  translation?: string[];
}

/**
 * One JSON line per served prediction in LOG_DIR/predictions.log, separate from app logs; with
 * LOG_FILES=false on stdout instead (`"event":"prediction"` tells the lines apart).
 */
@Injectable()
export class PredictionLogger implements OnApplicationShutdown {
  private readonly destination: pino.DestinationStream & { flushSync(): void; end(): void };
  private readonly logger: Logger;
  private readonly toFile: boolean;
  readonly includeText: boolean;

  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    this.includeText = config.logging.predictionText;
    this.toFile = config.logging.files;
    // Synchronous writes: a line is written out when the response is sent (one write per request).
    this.destination = pino.destination({
      dest: this.toFile ? path.join(config.logging.dir, PREDICTIONS_LOG_FILE) : STDOUT_FD,
      mkdir: this.toFile,
      sync: true,
    });
    this.logger = pino(
      { base: null, timestamp: pino.stdTimeFunctions.isoTime, messageKey: 'event' },
      this.destination,
    );
  }

  log(record: PredictionRecord): void {
    const { source, translation, ...counts } = record;
    this.logger.info(this.includeText ? { ...counts, source, translation } : counts, 'prediction');
  }

  onApplicationShutdown(): void {
    this.destination.flushSync();
    // stdout stays open for the app log's last lines
    if (this.toFile) this.destination.end();
  }
}
