import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { InvalidConfigError, loadAppConfig } from './app-config';
import { EnvDto } from './env.dto';

describe('loadAppConfig', () => {
  it('applies documented defaults to an empty environment', () => {
    const config = loadAppConfig({});
    expect(config.http).toEqual({
      host: '0.0.0.0',
      port: 8000,
      maxBodyBytes: 1048576,
      retryAfterSeconds: 5,
      requestTimeoutMs: 120000,
      shutdownGraceMs: 0,
      maxHeaderBytes: 16384,
      maxUrlBytes: 4096,
      headersTimeoutMs: 10000,
      receiveTimeoutMs: 30000,
      keepAliveTimeoutMs: 5000,
      maxConnections: 1000,
      corsOrigins: [],
    });
    // access control is off until configured
    expect(config.access).toEqual({
      apiKeys: [],
      metricsToken: undefined,
      rateLimitPerKey: 0,
      rateLimitPerAddress: 0,
      rateLimitWindowMs: 60000,
    });
    expect(config.limits.maxNewTokens).toBe(512);
    expect(config.model).toMatchObject({ dir: 'models', name: 'en-hi', version: undefined });
    expect(config.logging).toEqual({
      dir: 'logs',
      level: 'info',
      stdout: true,
      files: true,
      predictionText: false,
    });
    expect(config.drift.threshold).toBe(0.2);
  });

  it('converts strings to numbers and booleans', () => {
    const config = loadAppConfig({
      PORT: '9001',
      MODEL_VERSION: '3',
      LOG_PREDICTION_TEXT: 'true',
      LOG_STDOUT: 'false',
      DRIFT_THRESHOLD: '0.35',
      MAX_TEXTS_PER_REQUEST: '4',
    });
    expect(config.http.port).toBe(9001);
    expect(config.model.version).toBe('3');
    expect(config.logging.predictionText).toBe(true);
    expect(config.logging.stdout).toBe(false);
    expect(config.drift.threshold).toBe(0.35);
    expect(config.limits.maxTextsPerRequest).toBe(4);
  });

  it('splits comma-separated lists and drops blanks', () => {
    const config = loadAppConfig({
      API_KEYS: ' key-one-0123456789 ,key-two-0123456789,, ',
      CORS_ORIGINS: 'https://a.example,https://b.example',
      METRICS_TOKEN: 'scrape-token-0123456789\n',
    });
    expect(config.access.apiKeys).toEqual(['key-one-0123456789', 'key-two-0123456789']);
    expect(config.access.metricsToken).toBe('scrape-token-0123456789');
    expect(config.http.corsOrigins).toEqual(['https://a.example', 'https://b.example']);
  });

  it('refuses a header deadline past the whole-request deadline', () => {
    expect(() => loadAppConfig({ HEADERS_TIMEOUT_MS: '5000', RECEIVE_TIMEOUT_MS: '1000' })).toThrow(
      /HEADERS_TIMEOUT_MS="5000": must not exceed RECEIVE_TIMEOUT_MS/,
    );
  });

  it.each([
    [{ MAX_QUEUE: '10' }, 'MAX_QUEUE="10": must be at least MAX_SENTENCES_PER_REQUEST (256)'],
    [
      { MAX_SENTENCES_PER_REQUEST: '2000' },
      'MAX_QUEUE="1024": must be at least MAX_SENTENCES_PER_REQUEST (2000)',
    ],
    [
      { DRIFT_MIN_SAMPLES: '600' },
      'DRIFT_MIN_SAMPLES="600": must not exceed DRIFT_WINDOW_SIZE (500)',
    ],
    [{ API_KEYS: ' , ' }, 'API_KEYS=<secret, 3 characters>: holds no key'],
    // empty, as an empty Kubernetes secret value gives: refused, not taken as "unset"
    [{ API_KEYS: '' }, 'API_KEYS=<secret, 0 characters>: holds no key'],
    [{ METRICS_TOKEN: '   ' }, 'METRICS_TOKEN=<secret, 3 characters>: is blank'],
    [{ METRICS_TOKEN: '' }, 'METRICS_TOKEN=<secret, 0 characters>: is blank'],
    // short secrets can be guessed; the message counts them without showing them
    [
      { API_KEYS: 'key-one-0123456789,short,also-short' },
      'API_KEYS=<secret, 35 characters>: 2 keys are shorter than 16 characters',
    ],
    [{ API_KEYS: 'k1' }, 'API_KEYS=<secret, 2 characters>: 1 key is shorter than 16 characters'],
    [
      { METRICS_TOKEN: 'scrape-token' },
      'METRICS_TOKEN=<secret, 12 characters>: must be at least 16 characters',
    ],
    [{ REQUEST_TIMEOUT_MS: '2147483648' }, 'REQUEST_TIMEOUT_MS="2147483648"'],
    [{ LOG_FILES: 'false', LOG_STDOUT: 'false' }, 'LOG_FILES="false": with LOG_STDOUT=false'],
    [
      { MODEL_VERSION: '2', MODEL_CANARY: 'en-hi:3=10' },
      'MODEL_CANARY="en-hi:3=10": splits traffic of en-hi, which MODEL_VERSION pins',
    ],
    // kept as it is by the translator: the warm-up would not run the model
    [{ WARMUP_TEXT: '12345' }, 'WARMUP_TEXT="12345": needs English (a Latin letter)'],
    [{ WARMUP_TEXT: 'नमस्ते' }, 'needs English (a Latin letter)'],
  ])('refuses settings that would defeat their purpose: %j', (env, message) => {
    expect(() => loadAppConfig(env)).toThrow(InvalidConfigError);
    expect(() => loadAppConfig(env)).toThrow(message);
  });

  it('names every conflicting setting at once', () => {
    expect(() => loadAppConfig({ MAX_QUEUE: '10', API_KEYS: ',' })).toThrow(
      /MAX_QUEUE="10".*\n.*API_KEYS=<secret, 1 character>/,
    );
  });

  it('treats empty variables as unset', () => {
    expect(loadAppConfig({ PORT: '', MODEL_VERSION: '' }).http.port).toBe(8000);
  });

  it('fails fast naming every bad variable', () => {
    let error: unknown;
    try {
      loadAppConfig({
        PORT: 'eighty',
        MAX_TEXTS_PER_REQUEST: '0',
        LOG_LEVEL: 'loud',
        MODEL_VERSION: 'v1',
      });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(InvalidConfigError);
    const message = (error as Error).message;
    expect(message).toContain('PORT="eighty"');
    expect(message).toContain('MAX_TEXTS_PER_REQUEST="0"');
    expect(message).toContain('LOG_LEVEL="loud"');
    expect(message).toContain('MODEL_VERSION must be an integer version folder name');
  });

  it('reads the model repository settings: policy, polling, canary and the admin token', () => {
    const defaults = loadAppConfig({});
    expect(defaults.model).toMatchObject({ versionPolicy: 'latest:1', pollSeconds: 0, canary: {} });
    expect(defaults.admin.token).toBeUndefined();
    const config = loadAppConfig({
      MODEL_VERSION_POLICY: 'specific:1,3',
      MODEL_POLL_S: '2',
      MODEL_CANARY: 'en-hi:02=10,other:7=2.5', // "02" is folder 2
      ADMIN_TOKEN: 'a-long-enough-admin-token',
    });
    expect(config.model).toMatchObject({
      versionPolicy: 'specific:1,3',
      pollSeconds: 2,
      canary: { 'en-hi': { version: '2', weight: 10 }, other: { version: '7', weight: 2.5 } },
    });
    expect(config.admin.token).toBe('a-long-enough-admin-token');
  });

  it.each(['ture', 'enabled', '2'])(
    'refuses REQUIRE_CHECKSUMS=%s instead of reading it as false',
    (v) => {
      expect(() => loadAppConfig({ REQUIRE_CHECKSUMS: v })).toThrow(
        `REQUIRE_CHECKSUMS=${JSON.stringify(v)}: REQUIRE_CHECKSUMS must be a boolean value`,
      );
    },
  );

  it.each([
    ['on', true],
    ['Yes', true],
    ['0', false],
    ['off', false],
  ])('reads REQUIRE_CHECKSUMS=%s as %s', (v, expected) => {
    expect(loadAppConfig({ REQUIRE_CHECKSUMS: v }).model.requireChecksums).toBe(expected);
  });

  it.each([
    ['02', '2'],
    ['0', '0'],
    ['10', '10'],
  ])('reads MODEL_VERSION=%s as version folder %s', (v, folder) => {
    expect(loadAppConfig({ MODEL_VERSION: v }).model.version).toBe(folder);
  });

  it('refuses a MODEL_VERSION past the largest version number', () => {
    expect(() => loadAppConfig({ MODEL_VERSION: '12345678901234567890' })).toThrow(
      'MODEL_VERSION="12345678901234567890": is past the largest version number',
    );
  });

  it('never prints a secret in a start-up error', () => {
    expect(() => loadAppConfig({ ADMIN_TOKEN: 'my secret passphrase 123' })).toThrow(
      'ADMIN_TOKEN=<secret, 24 characters>: ADMIN_TOKEN must not contain whitespace',
    );
    expect(() => loadAppConfig({ ADMIN_TOKEN: 'my secret passphrase 123' })).not.toThrow(
      /passphrase/,
    );
  });

  it('trims ADMIN_TOKEN, as a secret mounted from a file ends in a newline', () => {
    const config = loadAppConfig({ ADMIN_TOKEN: 'a-long-enough-admin-token\n' });
    expect(config.admin.token).toBe('a-long-enough-admin-token');
  });

  it.each([
    [{ MODEL_VERSION_POLICY: 'newest' }, 'MODEL_VERSION_POLICY must be'],
    [{ MODEL_CANARY: 'en-hi=10' }, 'MODEL_CANARY must be'],
    [{ MODEL_CANARY: 'en-hi:2=150' }, 'each weight at most 100'],
    [{ MODEL_CANARY: 'en-hi:2=10,en-hi:3=10' }, 'one entry per model'],
    [{ ADMIN_TOKEN: 'short' }, 'ADMIN_TOKEN must be at least 16 characters'],
    [{ ADMIN_TOKEN: 'short  with  spaces  inside' }, 'ADMIN_TOKEN must not contain whitespace'],
  ])('rejects %j', (env, message) => {
    expect(() => loadAppConfig(env)).toThrow(message);
  });

  it('ignores unrelated environment variables', () => {
    expect(() => loadAppConfig({ PATH: '/usr/bin', HOME: '/root' })).not.toThrow();
  });

  it('is documented: the README configuration table lists every variable with its default', () => {
    const readme = readFileSync(path.join(__dirname, '../../README.md'), 'utf8');
    const defaults = new EnvDto() as unknown as Record<
      string,
      string | number | boolean | undefined
    >;
    for (const name of [...Object.keys(defaults), 'MODEL_VERSION', 'MODEL_CANARY', 'ADMIN_TOKEN']) {
      const row = readme.split('\n').find((l) => l.startsWith(`| \`${name}\` |`));
      expect({ name, row }).toEqual({ name, row: expect.any(String) });
      if (defaults[name] !== undefined) expect(row).toContain(`\`${String(defaults[name])}\``);
    }
  });
});
