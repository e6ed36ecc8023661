import { plainToInstance } from 'class-transformer';
import { validateSync } from 'class-validator';
import { normalizeVersion } from '../model/version-policy';
import { EnvDto, LogLevel, MIN_SECRET_LENGTH } from './env.dto';

/** Injection token for the typed, validated configuration. */
export const APP_CONFIG = Symbol('APP_CONFIG');

export interface AppConfig {
  http: {
    host: string;
    port: number;
    maxBodyBytes: number;
    retryAfterSeconds: number;
    requestTimeoutMs: number;
    shutdownGraceMs: number;
    maxHeaderBytes: number;
    maxUrlBytes: number;
    headersTimeoutMs: number;
    receiveTimeoutMs: number;
    keepAliveTimeoutMs: number;
    maxConnections: number;
    /** exact origins, or ['*']; empty = CORS off */
    corsOrigins: string[];
  };
  access: {
    /** empty = API keys off */
    apiKeys: string[];
    /** undefined = /metrics open */
    metricsToken?: string;
    /** requests per window; 0 = off */
    rateLimitPerKey: number;
    rateLimitPerAddress: number;
    rateLimitWindowMs: number;
  };
  model: {
    dir: string;
    name: string;
    version?: string;
    intraOpThreads: number;
    workerThread: boolean;
    allowSpinning: boolean;
    requireChecksums: boolean;
    warmupText: string;
    /** MODEL_VERSION_POLICY: the policy of models without a version_policy.json */
    versionPolicy: string;
    /** seconds between repository scans; 0 = off */
    pollSeconds: number;
    /** MODEL_CANARY, parsed: model name → canary version and its share of traffic in percent */
    canary: Record<string, { version: string; weight: number }>;
  };
  /** undefined keeps the admin API off */
  admin: { token?: string };
  limits: {
    maxTextsPerRequest: number;
    maxCharsPerText: number;
    maxSentencesPerRequest: number;
    maxNewTokens: number;
  };
  resilience: { modelFailureThreshold: number };
  batching: {
    maxBatchSize: number;
    maxBatchDelayMs: number;
    maxQueue: number;
    /** MAX_BATCH_CACHE_MB in bytes */
    maxCacheBytes: number;
  };
  cache: { size: number };
  logging: {
    dir: string;
    level: LogLevel;
    stdout: boolean;
    /** false: app and prediction logs go to stdout only, nothing under `dir` */
    files: boolean;
    predictionText: boolean;
  };
  metrics: { windowSize: number; maxHeapBytes: number };
  drift: { windowSize: number; minSamples: number; threshold: number };
}

export class InvalidConfigError extends Error {}

/** Variables without a default: absent from `new EnvDto()`, so listed here. */
const OPTIONAL_VARS = ['MODEL_VERSION', 'MODEL_CANARY', 'ADMIN_TOKEN'];

/** Secrets: their values never appear in start-up errors (which end up in the logs). */
const SECRET_VARS = new Set(['ADMIN_TOKEN', 'API_KEYS', 'METRICS_TOKEN']);

/**
 * Variables whose empty value is not "unset": empty, they would leave routes open that the
 * deployment meant to close (an empty Kubernetes secret value), so they are refused instead.
 */
const EMPTY_IS_SET = new Set(['API_KEYS', 'METRICS_TOKEN']);

/** `NAME="value"` for error messages; a secret shows only its length. */
function shown(name: string, value: unknown): string {
  if (SECRET_VARS.has(name) && typeof value === 'string') {
    return `${name}=<secret, ${value.length} character${value.length === 1 ? '' : 's'}>`;
  }
  return `${name}=${JSON.stringify(value)}`;
}

/** `en-hi:2=10,other:3=50` → { 'en-hi': { version: '2', weight: 10 }, … }; weights are percent. */
export function parseCanary(value: string | undefined): AppConfig['model']['canary'] {
  const canary: AppConfig['model']['canary'] = {};
  for (const entry of value ? value.split(',') : []) {
    const [, name, version, weight] = /^(.+):(\d+)=(.+)$/.exec(entry)!;
    if (Number(weight) > 100 || name in canary) {
      throw new InvalidConfigError(
        `Invalid environment configuration:\n  MODEL_CANARY=${JSON.stringify(value)}: ` +
          'one entry per model, each weight at most 100 (percent)',
      );
    }
    // "02" names folder 2: versions are integers
    canary[name] = { version: normalizeVersion(version) ?? version, weight: Number(weight) };
  }
  return canary;
}

/**
 * Settings that are each valid but together make the service refuse or ignore what they were
 * set for; one line per conflict, naming the variable to change.
 */
function crossCheck(dto: EnvDto, env: NodeJS.ProcessEnv): string[] {
  const setting = (name: keyof EnvDto) => shown(name, env[name] || String(dto[name]));
  const conflicts: string[] = [];
  if (dto.MODEL_VERSION !== undefined && normalizeVersion(dto.MODEL_VERSION) === undefined) {
    conflicts.push(`${setting('MODEL_VERSION')}: is past the largest version number`);
  }
  // A pin takes all of the default model's traffic: a canary for it would silently get none.
  const canaryModels = (dto.MODEL_CANARY ?? '').split(',').map((e) => e.split(':')[0]);
  if (dto.MODEL_VERSION !== undefined && canaryModels.includes(dto.MODEL_NAME)) {
    conflicts.push(
      `${setting('MODEL_CANARY')}: splits traffic of ${dto.MODEL_NAME}, which MODEL_VERSION pins to one version; unset one of them`,
    );
  }
  // Node refuses a server whose header deadline is past its whole-request deadline.
  if (dto.HEADERS_TIMEOUT_MS > dto.RECEIVE_TIMEOUT_MS) {
    conflicts.push(
      `${setting('HEADERS_TIMEOUT_MS')}: must not exceed RECEIVE_TIMEOUT_MS (${dto.RECEIVE_TIMEOUT_MS})`,
    );
  }
  // A request as large as the limits allow must fit an empty queue, or it gets 503 forever.
  if (dto.MAX_QUEUE < dto.MAX_SENTENCES_PER_REQUEST) {
    conflicts.push(
      `${setting('MAX_QUEUE')}: must be at least MAX_SENTENCES_PER_REQUEST (${dto.MAX_SENTENCES_PER_REQUEST})`,
    );
  }
  if (dto.DRIFT_MIN_SAMPLES > dto.DRIFT_WINDOW_SIZE) {
    conflicts.push(
      `${setting('DRIFT_MIN_SAMPLES')}: must not exceed DRIFT_WINDOW_SIZE (${dto.DRIFT_WINDOW_SIZE}), or drift is never scored`,
    );
  }
  // Set but empty after trimming would silently leave the guarded routes open.
  if (dto.API_KEYS !== undefined && list(dto.API_KEYS).length === 0) {
    conflicts.push(`${setting('API_KEYS')}: holds no key; unset it to turn API keys off`);
  }
  if (dto.METRICS_TOKEN !== undefined && dto.METRICS_TOKEN.trim() === '') {
    conflicts.push(`${setting('METRICS_TOKEN')}: is blank; unset it to leave /metrics open`);
  }
  // A short bearer secret can be guessed by trying them all; ADMIN_TOKEN has the same floor.
  const short = list(dto.API_KEYS ?? '').filter((key) => key.length < MIN_SECRET_LENGTH).length;
  if (short > 0) {
    conflicts.push(
      `${setting('API_KEYS')}: ${short} key${short === 1 ? ' is' : 's are'} shorter than ${MIN_SECRET_LENGTH} characters`,
    );
  }
  const metricsToken = dto.METRICS_TOKEN?.trim() ?? '';
  if (metricsToken !== '' && metricsToken.length < MIN_SECRET_LENGTH) {
    conflicts.push(`${setting('METRICS_TOKEN')}: must be at least ${MIN_SECRET_LENGTH} characters`);
  }
  if (!dto.LOG_FILES && !dto.LOG_STDOUT) {
    conflicts.push(
      `${setting('LOG_FILES')}: with LOG_STDOUT=false the app log would go nowhere; use LOG_LEVEL=silent to turn it off`,
    );
  }
  return conflicts;
}

/**
 * Validates the environment once and turns it into a typed config.
 * Fails fast with one line per bad variable so a broken deployment says what to fix.
 */
export function loadAppConfig(env: NodeJS.ProcessEnv = process.env): AppConfig {
  const known = Object.keys(new EnvDto());
  const raw = Object.fromEntries(
    Object.entries(env).filter(
      ([key, value]) =>
        (known.includes(key) || OPTIONAL_VARS.includes(key)) &&
        (value !== '' || EMPTY_IS_SET.has(key)),
    ),
  );
  const dto = plainToInstance(EnvDto, raw);
  const errors = validateSync(dto, { whitelist: true });
  if (errors.length > 0) {
    const lines = errors.map(
      (e) =>
        `${shown(e.property, env[e.property])}: ${Object.values(e.constraints ?? {}).join('; ')}`,
    );
    throw new InvalidConfigError(`Invalid environment configuration:\n  ${lines.join('\n  ')}`);
  }
  const conflicts = crossCheck(dto, env);
  if (conflicts.length > 0) {
    throw new InvalidConfigError(`Invalid environment configuration:\n  ${conflicts.join('\n  ')}`);
  }
  return {
    http: {
      host: dto.HOST,
      port: dto.PORT,
      maxBodyBytes: dto.MAX_BODY_BYTES,
      retryAfterSeconds: dto.RETRY_AFTER_SECONDS,
      requestTimeoutMs: dto.REQUEST_TIMEOUT_MS,
      shutdownGraceMs: dto.SHUTDOWN_GRACE_MS,
      maxHeaderBytes: dto.MAX_HEADER_BYTES,
      maxUrlBytes: dto.MAX_URL_BYTES,
      headersTimeoutMs: dto.HEADERS_TIMEOUT_MS,
      receiveTimeoutMs: dto.RECEIVE_TIMEOUT_MS,
      keepAliveTimeoutMs: dto.KEEP_ALIVE_TIMEOUT_MS,
      maxConnections: dto.MAX_CONNECTIONS,
      corsOrigins: list(dto.CORS_ORIGINS ?? ''),
    },
    access: {
      apiKeys: list(dto.API_KEYS ?? ''),
      metricsToken: dto.METRICS_TOKEN?.trim(),
      rateLimitPerKey: dto.RATE_LIMIT_PER_KEY,
      rateLimitPerAddress: dto.RATE_LIMIT_PER_ADDRESS,
      rateLimitWindowMs: dto.RATE_LIMIT_WINDOW_MS,
    },
    model: {
      dir: dto.MODEL_DIR,
      name: dto.MODEL_NAME,
      // versions are integers: 02 is version folder 2
      version: dto.MODEL_VERSION === undefined ? undefined : normalizeVersion(dto.MODEL_VERSION),
      intraOpThreads: dto.ORT_INTRA_OP_THREADS,
      workerThread: dto.ORT_WORKER_THREAD,
      allowSpinning: dto.ORT_ALLOW_SPINNING,
      requireChecksums: dto.REQUIRE_CHECKSUMS,
      warmupText: dto.WARMUP_TEXT,
      versionPolicy: dto.MODEL_VERSION_POLICY,
      pollSeconds: dto.MODEL_POLL_S,
      canary: parseCanary(dto.MODEL_CANARY),
    },
    admin: { token: dto.ADMIN_TOKEN },
    limits: {
      maxTextsPerRequest: dto.MAX_TEXTS_PER_REQUEST,
      maxCharsPerText: dto.MAX_CHARS_PER_TEXT,
      maxSentencesPerRequest: dto.MAX_SENTENCES_PER_REQUEST,
      maxNewTokens: dto.MAX_NEW_TOKENS,
    },
    resilience: { modelFailureThreshold: dto.MODEL_FAILURE_THRESHOLD },
    batching: {
      maxBatchSize: dto.MAX_BATCH_SIZE,
      maxBatchDelayMs: dto.MAX_BATCH_DELAY_MS,
      maxQueue: dto.MAX_QUEUE,
      maxCacheBytes: dto.MAX_BATCH_CACHE_MB * 1024 * 1024,
    },
    cache: { size: dto.TRANSLATION_CACHE_SIZE },
    logging: {
      dir: dto.LOG_DIR,
      level: dto.LOG_LEVEL,
      stdout: dto.LOG_STDOUT,
      files: dto.LOG_FILES,
      predictionText: dto.LOG_PREDICTION_TEXT,
    },
    metrics: {
      windowSize: dto.METRICS_WINDOW_SIZE,
      maxHeapBytes: dto.HEALTH_MAX_HEAP_MB * 1024 * 1024,
    },
    drift: {
      windowSize: dto.DRIFT_WINDOW_SIZE,
      minSamples: dto.DRIFT_MIN_SAMPLES,
      threshold: dto.DRIFT_THRESHOLD,
    },
  };
}

/** "a, b,,c " → ["a", "b", "c"] */
const list = (value: string): string[] =>
  value
    .split(',')
    .map((v) => v.trim())
    .filter((v) => v !== '');
