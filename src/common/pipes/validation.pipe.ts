import { ValidationError, ValidationPipe } from '@nestjs/common';
import { FieldProblem, validationFailed } from '../api-errors';

/** Flattens nested class-validator errors into one entry per (field path, failed rule). */
export function fieldProblems(errors: ValidationError[], parent = ''): FieldProblem[] {
  return errors.flatMap((e) => {
    const field = parent ? `${parent}.${e.property}` : e.property;
    const own = Object.entries(e.constraints ?? {}).map(([rule, message]) => ({
      field,
      rule,
      message,
    }));
    return [...own, ...fieldProblems(e.children ?? [], field)];
  });
}

/**
 * Global validation: DTOs are transformed to their classes, unknown fields are rejected,
 * and a 400 names each failing field and the rule it broke.
 */
export function createValidationPipe(): ValidationPipe {
  return new ValidationPipe({
    transform: true,
    whitelist: true,
    forbidNonWhitelisted: true,
    exceptionFactory: (errors) => validationFailed(fieldProblems(errors)),
  });
}
