/** Every custom metric the service exports; all carry model_name and model_version labels. */
export const METRIC = {
  httpRequestDuration: 'anuvaad_http_request_duration_seconds',
  httpRequestsInFlight: 'anuvaad_http_requests_in_flight',
  stageDuration: 'anuvaad_inference_stage_duration_seconds',
  inputTokens: 'anuvaad_input_tokens_per_text',
  generatedTokens: 'anuvaad_generated_tokens_per_text',
  translations: 'anuvaad_translations_total',
  errors: 'anuvaad_errors_total',
  modelReady: 'anuvaad_model_ready',
  driftScore: 'anuvaad_drift_score',
  driftSignal: 'anuvaad_drift_signal',
  batchQueueLength: 'anuvaad_batch_queue_length',
  batchQueueWait: 'anuvaad_batch_queue_wait_seconds',
  batchSize: 'anuvaad_batch_size',
  decoderSteps: 'anuvaad_decoder_steps_total',
  generatedTokensTotal: 'anuvaad_generated_tokens_total',
  cacheHits: 'anuvaad_translation_cache_hits_total',
  cacheMisses: 'anuvaad_translation_cache_misses_total',
  modelVersionState: 'anuvaad_model_version_state',
  modelLoadFailures: 'anuvaad_model_load_failures_total',
} as const;

export const MODEL_LABELS = ['model_name', 'model_version'] as const;
