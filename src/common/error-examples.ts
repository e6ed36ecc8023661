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

/** Examples several documented responses share. */
const INTERNAL_EXAMPLE = {
  summary: 'Server fault',
  value: body(500, 'Internal Server Error', 'internal', 'internal server error'),
};
const SHUTTING_DOWN_EXAMPLE = {
  summary: 'This instance is draining (retry on another)',
  value: body(
    503,
    'Service Unavailable',
    'shutting_down',
    'this instance is shutting down and takes no new requests; retry on another',
  ),
};
const INTERNAL_DESCRIPTION =
  'A server fault, logged with its stack under the request id; bad input never leads here';

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
  predictBadRequest: {
    type: ErrorResponseDto,
    description: 'Validation failed (names field and rule), malformed JSON, or an input limit',
    examples: {
      validation: {
        summary: 'A field breaks a rule',
        value: body(400, 'Bad Request', 'validation_failed', 'text must be a string', {
          details: [{ field: 'text', rule: 'isString', message: 'text must be a string' }],
        }),
      },
      limit: {
        summary: 'A text over the limit',
        value: body(
          400,
          'Bad Request',
          'input_limit_exceeded',
          'text[2] has 6200 characters; at most 5000 per text (MAX_CHARS_PER_TEXT)',
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
      shuttingDown: SHUTTING_DOWN_EXAMPLE,
      queueFull: {
        summary: 'Inference queue full',
        value: body(
          503,
          'Service Unavailable',
          'queue_full',
          'the inference queue is full: 1020 sentences wait, this request adds 8, at most 1024 may wait (MAX_QUEUE); retry later',
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
  unauthorized: {
    type: ErrorResponseDto,
    description:
      'The route needs a bearer token (API_KEYS, METRICS_TOKEN or ADMIN_TOKEN) and got none or a wrong one',
    headers: { 'WWW-Authenticate': { description: 'Bearer', schema: { type: 'string' } } },
    examples: {
      missing: {
        summary: 'No token',
        value: body(
          401,
          'Unauthorized',
          'unauthorized',
          'this route needs a key: send "Authorization: Bearer <key>" (API_KEYS)',
        ),
      },
    },
  },
  unsupportedMediaType: {
    type: ErrorResponseDto,
    description: 'A body that is not JSON',
    examples: {
      notJson: {
        summary: 'Another content type',
        value: body(
          415,
          'Unsupported Media Type',
          'unsupported_media_type',
          'request body must be JSON (Content-Type: application/json), not "text/plain"',
        ),
      },
    },
  },
  rateLimited: {
    type: ErrorResponseDto,
    description:
      'Over RATE_LIMIT_PER_KEY or RATE_LIMIT_PER_ADDRESS requests in RATE_LIMIT_WINDOW_MS',
    headers: {
      'Retry-After': { description: 'Seconds to wait', schema: { type: 'integer', example: 12 } },
    },
    examples: {
      limited: {
        summary: 'Too many requests',
        value: body(
          429,
          'Too Many Requests',
          'rate_limited',
          'rate limit exceeded: at most 600 requests per 60 s per API key (RATE_LIMIT_PER_KEY); retry in 12 s',
        ),
      },
    },
  },
  internal: {
    type: ErrorResponseDto,
    description: INTERNAL_DESCRIPTION,
    examples: { internal: INTERNAL_EXAMPLE },
  },
  predictionInternal: {
    type: ErrorResponseDto,
    description: INTERNAL_DESCRIPTION,
    examples: {
      inference: {
        summary: 'The model failed on this request',
        value: body(
          500,
          'Internal Server Error',
          'inference_failed',
          `inference failed for this request (request id ${REQUEST_ID}); the error is logged`,
        ),
      },
      internal: INTERNAL_EXAMPLE,
    },
  },
  shuttingDown: {
    type: ErrorResponseDto,
    description:
      'The instance got SIGTERM and is draining (sent with Connection: close); retry on another replica',
    headers: {
      'Retry-After': { description: 'Seconds to wait', schema: { type: 'integer', example: 1 } },
    },
    examples: { shuttingDown: SHUTTING_DOWN_EXAMPLE },
  },
} satisfies Record<string, ApiResponseNoStatusOptions>;
