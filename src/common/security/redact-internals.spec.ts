import { redactInternals } from './redact-internals';

describe('redactInternals', () => {
  it('cuts absolute paths to their last segment', () => {
    expect(
      redactInternals(
        "ENOENT: no such file or directory, open '/tmp/anuvaad-models-x1/tiny/1/config.json'",
      ),
    ).toBe("ENOENT: no such file or directory, open '…/config.json'");
    expect(redactInternals('at C:\\srv\\app\\main.js')).toBe('at …/main.js');
    expect(redactInternals('cannot open /tmp')).toBe('cannot open …/tmp');
  });

  it('leaves messages without paths and route names alone', () => {
    expect(redactInternals('Cannot POST /v1/translate/x and /health/ready')).toBe(
      'Cannot POST /v1/translate/x and /health/ready',
    );
    expect(redactInternals('MAX_TEXTS_PER_REQUEST=3 (1/2)')).toBe('MAX_TEXTS_PER_REQUEST=3 (1/2)');
  });
});
