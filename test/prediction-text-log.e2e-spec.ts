import * as path from 'node:path';
import request from 'supertest';
import { readJsonLines, startApp, TestApp } from './support/e2e-app';

describe('prediction log with LOG_PREDICTION_TEXT=true', () => {
  let t: TestApp;
  beforeAll(async () => (t = await startApp({ LOG_PREDICTION_TEXT: 'true' })));
  afterAll(() => t.app.close());

  it('includes the source and translation texts', async () => {
    const res = await request(t.http)
      .post('/predict')
      .set('x-request-id', 'text-1')
      .send({ text: 'Hello.' })
      .expect(200);
    const lines = await readJsonLines(path.join(t.logDir, 'predictions.log'), (ls) =>
      ls.some((l) => l.request_id === 'text-1'),
    );
    expect(lines.find((l) => l.request_id === 'text-1')).toMatchObject({
      endpoint: '/predict',
      source: ['Hello.'],
      translation: [res.body.translation],
    });
  });
});
