import { ArgumentMetadata, ValidationError, ValidationPipe } from '@nestjs/common';
import { FieldProblem, validationFailed } from '../api-errors';

/** Rules on a value's type: when one fails, the field's other rules (ranges, lengths) say nothing. */
const TYPE_RULES = new Set(['isInt', 'isNumber', 'isString', 'isBoolean', 'isArray', 'isObject']);

/**
 * Flattens nested class-validator errors into one entry per (field path, failed rule); a field
 * of the wrong type gets only its type rule ("beam_size must be an integer", not also "must not
 * be greater than 8").
 */
export function fieldProblems(errors: ValidationError[], parent = ''): FieldProblem[] {
  return errors.flatMap((e) => {
    const field = parent ? `${parent}.${e.property}` : e.property;
    const failed = Object.entries(e.constraints ?? {});
    const typeRules = failed.filter(([rule]) => TYPE_RULES.has(rule));
    const own = (typeRules.length > 0 ? typeRules : failed).map(([rule, message]) => ({
      field,
      rule,
      message,
    }));
    return [...own, ...fieldProblems(e.children ?? [], field)];
  });
}

/** Keys JSON.parse keeps as own properties that class-transformer skips, so whitelisting never sees them. */
const PROTOTYPE_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

/** Field paths of prototype keys anywhere in a parsed body. */
function prototypeKeys(value: unknown, parent = ''): string[] {
  if (value === null || typeof value !== 'object') return [];
  return Object.keys(value).flatMap((key) => {
    const field = parent ? `${parent}.${key}` : key;
    return PROTOTYPE_KEYS.has(key)
      ? [field]
      : prototypeKeys((value as Record<string, unknown>)[key], field);
  });
}

/**
 * Global validation: DTOs are transformed to their classes, unknown fields are rejected (the
 * prototype keys too, which the transform would drop unseen), and a 400 names each failing
 * field and the rule it broke.
 */
class StrictValidationPipe extends ValidationPipe {
  override transform(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
    if (metadata.type === 'body') {
      const fields = prototypeKeys(value);
      if (fields.length > 0) {
        throw validationFailed(
          fields.map((field) => ({
            field,
            rule: 'whitelistValidation',
            message: `property ${field} should not exist`,
          })),
        );
      }
    }
    return super.transform(value, metadata) as Promise<unknown>;
  }
}

export function createValidationPipe(): ValidationPipe {
  return new StrictValidationPipe({
    transform: true,
    whitelist: true,
    forbidNonWhitelisted: true,
    exceptionFactory: (errors) => validationFailed(fieldProblems(errors)),
  });
}
