import { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { Logger } from 'nestjs-pino';
import { AppModule } from './app.module';
import { ROUTES } from './app.routes';
import { AppConfig } from './config/app-config';

/** Options every instance of the app is created with (main and e2e tests alike). */
export const NEST_APP_OPTIONS = { bodyParser: false, bufferLogs: true } as const;

/** Everything applied to the app outside the module graph, shared by main.ts and the e2e tests. */
export function configureApp(app: INestApplication): void {
  app.useLogger(app.get(Logger));
  app.enableShutdownHooks();
  (app as NestExpressApplication).disable('x-powered-by');
  const document = SwaggerModule.createDocument(
    app,
    new DocumentBuilder()
      .setTitle('anuvaad')
      .setDescription(
        'English→Hindi translation service (Marian encoder-decoder on onnxruntime-node). ' +
          'Errors share one JSON shape with a stable `reason` and the `request_id` ' +
          '(also in the x-request-id response header).',
      )
      .setVersion('1')
      // the admin API (/v1/admin/...) takes ADMIN_TOKEN as a bearer token
      .addBearerAuth()
      .build(),
  );
  SwaggerModule.setup(ROUTES.docs, app, document, { jsonDocumentUrl: `${ROUTES.docs}-json` });
}

export async function createApp(config?: AppConfig): Promise<NestExpressApplication> {
  const app = await NestFactory.create<NestExpressApplication>(
    AppModule.forRoot(config),
    NEST_APP_OPTIONS,
  );
  configureApp(app);
  return app;
}
