import { ApiResponseNoStatusOptions } from '@nestjs/swagger';
import { ErrorResponseDto } from './error-response.dto';

const REQUEST_ID = '0f8fad5b-d9cb-469f-a165-70867728950e';

/** An error body exactly as AllExceptionsFilter renders it. */
const body = (statusCode: number, error: string, reason: string, message: string, extra = {}) => ({
  statusCode,
  error,
  reason,
  message,
  ...extra,
  request_id: REQUEST_ID,
});

/** Documented error responses, with one example per way each status can happen. */
export const ERROR_RESPONSES = {
  badRequest: {
    type: ErrorResponseDto,
    description: 'Validation failed (names field and rule), malformed JSON, or an input limit',
    examples: {
      validation: {
        summary: 'A field breaks a rule',
        value: body(
          400,
          'Bad Request',
          'validation_failed',
          'beam_size must not be greater than 8',
          {
            details: [
              { field: 'beam_size', rule: 'max', message: 'beam_size must not be greater than 8' },
            ],
          },
        ),
      },
      malformedJson: {
        summary: 'The body is not JSON',
        value: body(
          400,
          'Bad Request',
          'malformed_json',
          'malformed JSON in request body: Unexpected end of JSON input',
        ),
      },
      limit: {
        summary: 'Too many texts',
        value: body(
          400,
          'Bad Request',
          'input_limit_exceeded',
          'text has 40 items; at most 32 texts per request (MAX_TEXTS_PER_REQUEST)',
        ),
      },
    },
  },
  notFound: {
    type: ErrorResponseDto,
    description: 'Unknown model or version',
    examples: {
      model: {
        summary: 'Another model',
        value: body(
          404,
          'Not Found',
          'model_not_found',
          'model "en-de" is not served here; available: "en-hi"',
        ),
      },
      version: {
        summary: 'Another version',
        value: body(
          404,
          'Not Found',
          'model_not_found',
          'version "7" of model "en-hi" is not loaded; loaded version: "1"',
        ),
      },
    },
  },
  payloadTooLarge: {
    type: ErrorResponseDto,
    description: 'Body larger than MAX_BODY_BYTES',
    examples: {
      tooLarge: {
        summary: 'Body over the limit',
        value: body(
          413,
          'Payload Too Large',
          'payload_too_large',
          'request body exceeds 1048576 bytes (MAX_BODY_BYTES)',
        ),
      },
    },
  },
  notReady: {
    type: ErrorResponseDto,
    description: 'Model loading or failed to load (see Retry-After and /health/ready)',
    headers: {
      'Retry-After': { description: 'Seconds to wait', schema: { type: 'integer', example: 5 } },
    },
    examples: {
      loading: {
        summary: 'Still loading',
        value: body(
          503,
          'Service Unavailable',
          'model_not_ready',
          'model "en-hi" is not ready (loading): creating inference sessions',
        ),
      },
      failed: {
        summary: 'Load failed',
        value: body(
          503,
          'Service Unavailable',
          'model_not_ready',
          'model "en-hi" is not ready (failed): checksum mismatch for onnx/encoder_model.onnx: expected 9f86…, got 2c26…',
        ),
      },
      queueFull: {
        summary: 'Inference queue full',
        value: body(
          503,
          'Service Unavailable',
          'queue_full',
          'the inference queue is full: 250 sentences wait, this request adds 8, at most 256 may wait (MAX_QUEUE); retry later',
        ),
      },
    },
  },
  deadline: {
    type: ErrorResponseDto,
    description: 'The request ran past REQUEST_TIMEOUT_MS; its decoding was cancelled',
    examples: {
      deadline: {
        summary: 'Deadline exceeded',
        value: body(
          504,
          'Gateway Timeout',
          'deadline_exceeded',
          'request took longer than 120000 ms (REQUEST_TIMEOUT_MS); its work was cancelled',
        ),
      },
    },
  },
} satisfies Record<string, ApiResponseNoStatusOptions>;
