import { Logger } from 'nestjs-pino';
import { APP_CONFIG, AppConfig, InvalidConfigError } from './config/app-config';
import { createApp } from './app.setup';
import { logUnhandledRejections } from './common/process-safety-net';
import { ModelService } from './model/model.service';
import { handleShutdownSignals } from './shutdown/signals';

async function bootstrap(): Promise<void> {
  const app = await createApp();
  const config = app.get<AppConfig>(APP_CONFIG);
  logUnhandledRejections(app.get(Logger));
  handleShutdownSignals(app);
  await app.listen(config.http.port, config.http.host);
  // Load after listen so /health/live answers and /health/ready reports "loading" meanwhile.
  void app.get(ModelService).load();
}

bootstrap().catch((e: unknown) => {
  // Config errors are expected operator mistakes: print the message, not a stack.
  console.error(e instanceof InvalidConfigError ? e.message : e);
  process.exit(1);
});
