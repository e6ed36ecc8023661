import { LATIN_LETTER } from '../common/latin-script';
import 'reflect-metadata';
import { Transform, Type } from 'class-transformer';
import {
  IsBoolean,
  IsIn,
  IsInt,
  IsNotEmpty,
  IsNumber,
  IsOptional,
  IsString,
  Matches,
  Max,
  Min,
  MinLength,
} from 'class-validator';
import { MAX_NEW_TOKENS_CAP } from '../inference/generation-settings';

/** Shortest bearer secret accepted (ADMIN_TOKEN, each of API_KEYS, METRICS_TOKEN). */
export const MIN_SECRET_LENGTH = 16;

const TRUE_WORDS = ['true', '1', 'yes', 'on'];
const FALSE_WORDS = ['false', '0', 'no', 'off'];

/**
 * Environment variables arrive as strings: true/1/yes/on and false/0/no/off (any case) are
 * booleans; anything else stays a string, which @IsBoolean refuses with the variable's name
 * (so a typo such as REQUIRE_CHECKSUMS=ture does not turn a safety check off).
 */
const toBoolean = ({ value }: { value: unknown }): unknown => {
  if (typeof value !== 'string') return value;
  const word = value.trim().toLowerCase();
  return TRUE_WORDS.includes(word) ? true : FALSE_WORDS.includes(word) ? false : value;
};

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/**
 * Every setting the service reads from the environment, with its default.
 * Property names are the variable names so validation errors name the variable.
 * The README configuration table mirrors this class.
 */
export class EnvDto {
  @Type(() => Number) @IsInt() @Min(0) @Max(65535) PORT = 8000;
  @IsString() @IsNotEmpty() HOST = '0.0.0.0';

  @IsString() @IsNotEmpty() MODEL_DIR = 'models';
  @IsString() @Matches(/^[A-Za-z0-9._-]+$/) MODEL_NAME = 'en-hi';
  @IsOptional()
  @Matches(/^\d+$/, { message: 'MODEL_VERSION must be an integer version folder name' })
  MODEL_VERSION?: string;
  /** 0 lets onnxruntime pick (one thread per physical core). */
  @Type(() => Number) @IsInt() @Min(0) @Max(256) ORT_INTRA_OP_THREADS = 0;
  /**
   * Run onnxruntime and the whole decode loop on a worker thread, so HTTP work and decoding
   * overlap instead of taking turns on the event loop (BENCHMARKS.md: more throughput at
   * concurrency 32, a thread hop more at 1). false decodes on the HTTP thread.
   */
  @Transform(toBoolean) @IsBoolean() ORT_WORKER_THREAD = true;
  /** Let idle onnxruntime threads busy-wait; off because spinning starves the HTTP thread. */
  @Transform(toBoolean) @IsBoolean() ORT_ALLOW_SPINNING = false;
  @Transform(toBoolean) @IsBoolean() REQUIRE_CHECKSUMS = true;
  // The translator keeps a sentence without a Latin letter as it is: such a warm-up (and the
  // runtime health check, which translates it too) would never run the model.
  @IsString()
  @IsNotEmpty()
  @Matches(LATIN_LETTER, {
    message: 'needs English (a Latin letter): a text without one is not sent to the model',
  })
  WARMUP_TEXT = 'Hello world.';
  /**
   * Which version folders of each model are loaded when the model folder has no
   * version_policy.json: `latest:N`, `all` or `specific:1,3`.
   */
  @Matches(/^(latest:[1-9]\d{0,2}|all|specific:\d+(,\d+)*)$/, {
    message: 'MODEL_VERSION_POLICY must be latest:N, all or specific:V[,V...]',
  })
  MODEL_VERSION_POLICY = 'latest:1';
  /** Seconds between scans of MODEL_DIR for new, changed or removed versions; 0 turns polling off. */
  @Type(() => Number) @IsInt() @Min(0) @Max(86400) MODEL_POLL_S = 0;
  /** Traffic split per model: `name:version=percent`, comma-separated (e.g. `en-hi:2=10`). */
  @IsOptional()
  @Matches(/^[A-Za-z0-9._-]+:\d+=\d+(\.\d+)?(,[A-Za-z0-9._-]+:\d+=\d+(\.\d+)?)*$/, {
    message: 'MODEL_CANARY must be name:version=percent[,name:version=percent...]',
  })
  MODEL_CANARY?: string;
  /** Enables the admin API (/v1/admin/...) and is the bearer token it requires. */
  // Secrets mounted from files end in a newline; a bearer token never holds whitespace.
  @IsOptional()
  @Transform(({ value }: { value: unknown }) => (typeof value === 'string' ? value.trim() : value))
  @IsString()
  @Matches(/^\S*$/, { message: 'ADMIN_TOKEN must not contain whitespace' })
  @MinLength(MIN_SECRET_LENGTH, {
    message: `ADMIN_TOKEN must be at least ${MIN_SECRET_LENGTH} characters`,
  })
  ADMIN_TOKEN?: string;

  @Type(() => Number) @IsInt() @Min(1) @Max(1024) MAX_TEXTS_PER_REQUEST = 32;
  @Type(() => Number) @IsInt() @Min(1) @Max(100000) MAX_CHARS_PER_TEXT = 5000;
  /** Sentences over all texts of one request: bounds the work a single request can cause. */
  @Type(() => Number) @IsInt() @Min(1) @Max(100000) MAX_SENTENCES_PER_REQUEST = 256;
  @Type(() => Number) @IsInt() @Min(1024) MAX_BODY_BYTES = 1048576;
  /** Most sentences decoded together in one forward pass, over all requests batched together. */
  @Type(() => Number) @IsInt() @Min(1) @Max(1024) MAX_BATCH_SIZE = 32;
  /**
   * Decoder cache one batch may reach (rows × (source + new tokens) × the model's bytes per
   * position): what bounds a batch's memory, since beams and long sentences multiply it.
   */
  @Type(() => Number) @IsInt() @Min(1) @Max(65536) MAX_BATCH_CACHE_MB = 128;
  /** How long an idle model waits for more sentences before decoding; 0 starts at once. */
  @Type(() => Number) @IsInt() @Min(0) @Max(1000) MAX_BATCH_DELAY_MS = 2;
  /** Sentences allowed to wait for a batch; a request that does not fit gets 503 queue_full. */
  @Type(() => Number) @IsInt() @Min(1) @Max(1000000) MAX_QUEUE = 1024;
  /** Recent sentence translations kept in memory (LRU); 0 disables the cache. */
  @Type(() => Number) @IsInt() @Min(0) @Max(10000000) TRANSLATION_CACHE_SIZE = 1000;
  @Type(() => Number) @IsInt() @Min(1) @Max(3600) RETRY_AFTER_SECONDS = 5;
  /** Node's timers take at most 2^31-1 ms; one hour is far past any translation. */
  @Type(() => Number) @IsInt() @Min(100) @Max(3600000) REQUEST_TIMEOUT_MS = 120000;
  /** On shutdown, readiness reports 503 this long before the server stops accepting requests. */
  @Type(() => Number) @IsInt() @Min(0) @Max(600000) SHUTDOWN_GRACE_MS = 0;

  /** Most tokens a request may ask for per sentence (max_new_tokens); also caps the model default. */
  @Type(() => Number) @IsInt() @Min(1) @Max(MAX_NEW_TOKENS_CAP) MAX_NEW_TOKENS = MAX_NEW_TOKENS_CAP;
  /** Request line plus headers; Node answers 431 above (its own default is 16 KiB). */
  @Type(() => Number) @IsInt() @Min(1024) @Max(1048576) MAX_HEADER_BYTES = 16384;
  /** Path plus query string; 414 above. */
  @Type(() => Number) @IsInt() @Min(64) @Max(1048576) MAX_URL_BYTES = 4096;
  /** A client must send all request headers within this (slow-header clients are cut off, 408). */
  @Type(() => Number) @IsInt() @Min(100) @Max(600000) HEADERS_TIMEOUT_MS = 10000;
  /** A client must send the whole request, body included, within this (408 otherwise). */
  @Type(() => Number) @IsInt() @Min(100) @Max(3600000) RECEIVE_TIMEOUT_MS = 30000;
  /** An idle keep-alive connection is closed after this; keep it above a proxy's idle timeout. */
  @Type(() => Number) @IsInt() @Min(0) @Max(3600000) KEEP_ALIVE_TIMEOUT_MS = 5000;
  /**
   * Open client connections (idle keep-alive ones included); a connection past it is closed at
   * once, so a flood of sockets cannot exhaust file descriptors or memory.
   */
  @Type(() => Number) @IsInt() @Min(1) @Max(1000000) MAX_CONNECTIONS = 1000;

  /** Comma-separated API keys; when set, API routes need `Authorization: Bearer <key>`. */
  @IsOptional() @IsString() API_KEYS?: string = undefined;
  /** When set, /metrics and /metrics/summary need `Authorization: Bearer <token>`. */
  @IsOptional() @IsString() METRICS_TOKEN?: string = undefined;
  /** Requests per RATE_LIMIT_WINDOW_MS per API key; 0 = no limit. */
  @Type(() => Number) @IsInt() @Min(0) RATE_LIMIT_PER_KEY = 0;
  /** Requests per RATE_LIMIT_WINDOW_MS per client address; 0 = no limit. */
  @Type(() => Number) @IsInt() @Min(0) RATE_LIMIT_PER_ADDRESS = 0;
  @Type(() => Number) @IsInt() @Min(1000) @Max(86400000) RATE_LIMIT_WINDOW_MS = 60000;
  /** Comma-separated origins allowed by CORS, or `*`; empty = no CORS headers (closed). */
  @IsOptional() @IsString() CORS_ORIGINS?: string = undefined;
  /** Failed inferences in a row after which readiness reports the model as failing. */
  @Type(() => Number) @IsInt() @Min(1) @Max(1000) MODEL_FAILURE_THRESHOLD = 3;

  @IsString() @IsNotEmpty() LOG_DIR = 'logs';
  @IsIn(LOG_LEVELS) LOG_LEVEL: LogLevel = 'info';
  @Transform(toBoolean) @IsBoolean() LOG_STDOUT = true;
  /** false: nothing is written under LOG_DIR; app and prediction lines go to stdout only. */
  @Transform(toBoolean) @IsBoolean() LOG_FILES = true;
  @Transform(toBoolean) @IsBoolean() LOG_PREDICTION_TEXT = false;

  @Type(() => Number) @IsInt() @Min(10) @Max(1000000) METRICS_WINDOW_SIZE = 1000;
  @Type(() => Number) @IsInt() @Min(64) HEALTH_MAX_HEAP_MB = 4096;

  @Type(() => Number) @IsInt() @Min(10) @Max(1000000) DRIFT_WINDOW_SIZE = 500;
  @Type(() => Number) @IsInt() @Min(1) DRIFT_MIN_SAMPLES = 200;
  @Type(() => Number) @IsNumber() @Min(0) DRIFT_THRESHOLD = 0.2;
}
