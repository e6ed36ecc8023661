import { servedModelLogProps, setServedModelHeaders } from './served-model';

describe('served model headers', () => {
  it('puts the serving version on the response and into its log line', () => {
    const headers: Record<string, string> = {};
    const res = {
      setHeader: (k: string, v: string) => (headers[k] = v),
      getHeader: (k: string) => headers[k],
    };
    expect(servedModelLogProps(res as never)).toEqual({});
    setServedModelHeaders(res as never, { name: 'en-hi', version: '2' });
    expect(headers).toEqual({ 'x-model-name': 'en-hi', 'x-model-version': '2' });
    expect(servedModelLogProps(res as never)).toEqual({ model_name: 'en-hi', model_version: '2' });
  });
});
