import { INestApplication, Logger as NestLogger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import helmet from 'helmet';
import { Logger } from 'nestjs-pino';
import { AppModule } from './app.module';
import { ROUTES } from './app.routes';
import { HardenedExpressAdapter, RawErrorListener, requireHost } from './common/http-server';
import { escapeUndecodablePath } from './common/middleware/request-limits.middleware';
import { ServiceMetrics } from './metrics/service-metrics';
import { withServedModel } from './common/openapi-examples';
import { BEARER_SCHEMES, withCommonErrors } from './common/openapi-errors';
import { SECURITY_SCHEMES } from './common/decorators/access.decorator';
import { ModelService } from './model/model.service';
import { REQUEST_ID_HEADER } from './logging/request-id';
import { SERVED_MODEL_HEADERS } from './logging/served-model';
import { prepareLogDir } from './logging/logger-options';
import { RATE_LIMIT_HEADERS } from './common/guards/rate-limit.guard';
import { APP_CONFIG, AppConfig, loadAppConfig } from './config/app-config';

/**
 * Options every instance of the app is created with (main and e2e tests alike). abortOnError
 * off: a failure while Nest builds the app reaches main's handler, which prints it and exits 1,
 * instead of Nest's process.abort() (exit 134 and a core dump).
 */
export const NEST_APP_OPTIONS = {
  bodyParser: false,
  bufferLogs: true,
  abortOnError: false,
} as const;

/** The Express adapter with the configured connection limits (header size, timeouts). */
export const createHttpAdapter = (config: AppConfig) => new HardenedExpressAdapter(config.http);

/** Everything applied to the app outside the module graph, shared by main.ts and the e2e tests. */
export function configureApp(app: INestApplication): void {
  const config = app.get<AppConfig>(APP_CONFIG);
  app.useLogger(app.get(Logger));
  // Errors the HTTP server answers itself (431, 408, no Host) are counted and logged like the app's.
  const metrics = app.get(ServiceMetrics);
  const logger = new NestLogger('HttpServer');
  const answeredRaw: RawErrorListener = ({
    status,
    reason,
    message,
    requestId,
    prediction,
    request,
  }) => {
    metrics.recordError(reason, prediction, request);
    logger.warn(`${status} ${reason}: ${message} (request id ${requestId})`);
  };
  const adapter = app.getHttpAdapter();
  if (adapter instanceof HardenedExpressAdapter) {
    adapter.onRawError = answeredRaw;
    adapter.onConnectionDropped = everyTenSeconds((dropped) =>
      logger.warn(
        `${dropped} connection(s) closed unanswered: MAX_CONNECTIONS (${config.http.maxConnections}) were open`,
      ),
    );
  }
  (app as NestExpressApplication).disable('x-powered-by');
  // Security headers on every response. The CSP allows what Swagger UI at /docs loads (its own
  // scripts, inline styles, data: images); plain HTTP behind a TLS proxy must not force https.
  app.use(
    helmet({
      contentSecurityPolicy: { directives: { upgradeInsecureRequests: null } },
    }),
  );
  // CORS is closed (no Access-Control-* headers) unless CORS_ORIGINS lists origins.
  const origins = config.http.corsOrigins;
  if (origins.length > 0) {
    app.enableCors({
      origin: origins.includes('*') ? '*' : origins,
      methods: ['GET', 'POST'],
      allowedHeaders: ['Content-Type', 'Authorization', REQUEST_ID_HEADER],
      // what a browser client may read: ids, the model that answered, and its rate-limit budget
      exposedHeaders: [
        REQUEST_ID_HEADER,
        'Retry-After',
        SERVED_MODEL_HEADERS.name,
        SERVED_MODEL_HEADERS.version,
        ...RATE_LIMIT_HEADERS,
      ],
      maxAge: 600,
    });
  }
  // after the security headers, before every route (the docs included) and every middleware
  // mounted on a route pattern (module middleware is added at init)
  app.use(requireHost(answeredRaw));
  app.use(escapeUndecodablePath);
  const builder = new DocumentBuilder()
    .setTitle('anuvaad')
    .setDescription(
      'English→Hindi translation service (Marian encoder-decoder on onnxruntime-node). ' +
        'Errors share one JSON shape with a stable `reason` and the `request_id` ' +
        '(also in the x-request-id response header). When API_KEYS is set, API routes need ' +
        '`Authorization: Bearer <key>` (use Authorize).',
    )
    .setVersion('1');
  // API routes take an API key by default; health, metrics and admin routes say otherwise (Access)
  for (const { name, description } of BEARER_SCHEMES) {
    builder.addBearerAuth(
      { type: 'http', scheme: 'bearer', bearerFormat: 'opaque', description },
      name,
    );
  }
  builder.addSecurityRequirements(SECURITY_SCHEMES.api);
  const document = withCommonErrors(SwaggerModule.createDocument(app, builder.build()));
  const models = app.get(ModelService);
  SwaggerModule.setup(ROUTES.docs, app, document, {
    jsonDocumentUrl: `${ROUTES.docs}-json`,
    // examples name the model served here and its default version now (reloads change it)
    patchDocumentOnRequest: (_req, _res, doc) =>
      withServedModel(doc, { name: models.modelName, version: models.status.version }),
  });
}

export async function createApp(
  config: AppConfig = loadAppConfig(),
): Promise<NestExpressApplication> {
  prepareLogDir(config);
  const app = await NestFactory.create<NestExpressApplication>(
    AppModule.forRoot(config),
    createHttpAdapter(config),
    NEST_APP_OPTIONS,
  );
  configureApp(app);
  return app;
}

/** Counts calls and reports the count at most once per ten seconds, so a flood logs a few lines. */
function everyTenSeconds(report: (count: number) => void): () => void {
  let count = 0;
  let timer: NodeJS.Timeout | undefined;
  const flush = () => {
    timer = undefined;
    if (count === 0) return;
    report(count);
    count = 0;
    // the next report waits ten seconds from this one, however soon the next call comes
    timer = setTimeout(flush, 10_000).unref();
  };
  return () => {
    count++;
    if (!timer) flush();
  };
}
