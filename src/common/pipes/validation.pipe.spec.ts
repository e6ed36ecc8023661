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
          message: 'text must be a string or an array of strings, not a number',
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

  it('does not coerce strings into numbers, and reports only the type of a wrong-typed field', async () => {
    const e = await problems({ text: 'hi', max_new_tokens: '12', beam_size: '4' });
    // not also "must not be greater than 8; must not be less than 1" for the string "4"
    expect(e!.details).toEqual([
      { field: 'beam_size', rule: 'isInt', message: 'beam_size must be an integer number' },
      {
        field: 'max_new_tokens',
        rule: 'isInt',
        message: 'max_new_tokens must be an integer number',
      },
    ]);
    // the range rules still speak for a number of the right type
    const range = await problems({ text: 'hi', beam_size: 2.5 });
    expect(range!.details).toEqual([
      { field: 'beam_size', rule: 'isInt', message: 'beam_size must be an integer number' },
    ]);
  });

  it('names the element of a text list that is wrong', async () => {
    expect((await problems({ text: ['a', 1] }))!.message).toBe(
      'text[1] must be a string, not a number',
    );
    expect((await problems({ text: ['a', ' \u200b'] }))!.message).toBe('text[1] must not be empty');
    expect((await problems({ text: [] }))!.message).toBe('text must not be an empty array');
    expect((await problems({}))!.message).toBe('text is required: a string or an array of strings');
    expect((await problems({ text: { a: 1 } }))!.message).toBe(
      'text must be a string or an array of strings, not an object',
    );
    expect((await problems({ text: '\u200b\u200b' }))!.message).toBe('text must not be empty');
    expect((await problems({ text: 'hi', model: '' }))!.message).toBe(
      'model must not be empty (leave it out for the default model)',
    );
  });
});
