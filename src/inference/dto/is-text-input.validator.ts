import { ValidateBy, ValidationArguments, ValidationOptions } from 'class-validator';
import { jsonKind } from '../../common/json-kind';

export const IS_TEXT_INPUT = 'isTextInput';

/** Characters that take no space: a text of only these (and whitespace) has nothing to translate. */
const INVISIBLE = /[\u200b-\u200d\u2060\ufeff]/g;

/** Whether a string has something to translate: not only whitespace and zero-width characters. */
export const hasVisibleText = (v: string): boolean => v.replace(INVISIBLE, '').trim().length > 0;

const nonBlank = (v: unknown): v is string => typeof v === 'string' && hasVisibleText(v);

/** A non-blank string, or a non-empty array of non-blank strings. */
export function isTextInput(value: unknown): boolean {
  return nonBlank(value) || (Array.isArray(value) && value.length > 0 && value.every(nonBlank));
}

/** What is wrong with a text input, naming the element of a list that is. */
export function textInputProblem(property: string, value: unknown): string {
  if (value === undefined) return `${property} is required: a string or an array of strings`;
  if (typeof value === 'string') return `${property} must not be empty`;
  if (!Array.isArray(value)) {
    return `${property} must be a string or an array of strings, not ${jsonKind(value)}`;
  }
  if (value.length === 0) return `${property} must not be an empty array`;
  const index = value.findIndex((v) => !nonBlank(v));
  const element: unknown = value[index];
  return typeof element === 'string'
    ? `${property}[${index}] must not be empty`
    : `${property}[${index}] must be a string, not ${jsonKind(element)}`;
}

export function IsTextInput(options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: IS_TEXT_INPUT,
      validator: {
        validate: (value): boolean => isTextInput(value),
        defaultMessage: (args?: ValidationArguments) =>
          textInputProblem(args?.property ?? 'text', args?.value),
      },
    },
    options,
  );
}

/** A string with something to translate (whitespace and zero-width characters alone are blank); the type is IsString's business. */
export function IsNotBlank(options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'isNotBlank',
      validator: {
        validate: (value): boolean => typeof value !== 'string' || hasVisibleText(value),
        defaultMessage: (args?: ValidationArguments) =>
          `${args?.property ?? 'text'} must not be empty`,
      },
    },
    options,
  );
}
