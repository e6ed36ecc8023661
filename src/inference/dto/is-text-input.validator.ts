import { ValidateBy, ValidationOptions, buildMessage } from 'class-validator';

export const IS_TEXT_INPUT = 'isTextInput';

const nonBlank = (v: unknown): v is string => typeof v === 'string' && v.trim().length > 0;

/** A non-blank string, or a non-empty array of non-blank strings. */
export function isTextInput(value: unknown): boolean {
  return nonBlank(value) || (Array.isArray(value) && value.length > 0 && value.every(nonBlank));
}

export function IsTextInput(options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: IS_TEXT_INPUT,
      validator: {
        validate: (value): boolean => isTextInput(value),
        defaultMessage: buildMessage(
          (each) =>
            `${each}$property must be a non-empty string or a non-empty array of non-empty strings`,
          options,
        ),
      },
    },
    options,
  );
}
