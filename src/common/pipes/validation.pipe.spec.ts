import { ArgumentMetadata } from '@nestjs/common';
import { TranslateRequestDto } from '../../inference/dto/translate.dto';
import { ApiError } from '../api-errors';
import { createValidationPipe } from './validation.pipe';

const metadata: ArgumentMetadata = { type: 'body', metatype: TranslateRequestDto };

async function problems(body: unknown) {
  try {
    await createValidationPipe().transform(body, metadata);
  } catch (e) {
    return e as ApiError;
  }
  return undefined;
}

describe('validation pipe', () => {
  it('passes a valid body through as the DTO class', async () => {
    const out: unknown = await createValidationPipe().transform(
      { text: ['a', 'b'], beam_size: 2 },
      metadata,
    );
    expect(out).toBeInstanceOf(TranslateRequestDto);
    expect(out).toMatchObject({ text: ['a', 'b'], beam_size: 2 });
  });

  it('answers 400 validation_failed with one entry per field and rule', async () => {
    const e = await problems({ text: 5, beam_size: 20, unknown: 1 });
    expect(e).toBeInstanceOf(ApiError);
    expect(e!.getStatus()).toBe(400);
    expect(e!.reason).toBe('validation_failed');
    expect(e!.details).toEqual(
      expect.arrayContaining([
        {
          field: 'text',
          rule: 'isTextInput',
          message: expect.stringContaining('text must be a non-empty string'),
        },
        { field: 'beam_size', rule: 'max', message: 'beam_size must not be greater than 8' },
        {
          field: 'unknown',
          rule: 'whitelistValidation',
          message: 'property unknown should not exist',
        },
      ]),
    );
    expect(e!.message).toContain('beam_size must not be greater than 8');
  });

  it.each(['{"text":"hi","__proto__":{"a":1}}', '{"text":"hi","constructor":{"a":1}}'])(
    'rejects prototype keys, which the transform would drop unseen: %s',
    async (json) => {
      const e = await problems(JSON.parse(json));
      expect(e).toBeInstanceOf(ApiError);
      expect(e!.reason).toBe('validation_failed');
      expect(e!.message).toMatch(/property (__proto__|constructor) should not exist/);
    },
  );

  it('does not coerce strings into numbers', async () => {
    const e = await problems({ text: 'hi', max_new_tokens: '12' });
    expect(e!.details).toContainEqual(
      expect.objectContaining({ field: 'max_new_tokens', rule: 'isInt' }),
    );
  });
});
