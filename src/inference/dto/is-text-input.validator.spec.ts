import { isTextInput } from './is-text-input.validator';

describe('isTextInput', () => {
  it.each([['Hello'], [['a', 'b']], [['  x ']]])('accepts %j', (v) =>
    expect(isTextInput(v)).toBe(true),
  );
  it.each([
    [''],
    ['   '],
    [[]],
    [['a', '']],
    ['\u200b\u200b'],
    ['\ufeff \u2060'],
    [['a', 1]],
    [5],
    [null],
    [undefined],
    [{ text: 'a' }],
  ])('rejects %j', (v) => expect(isTextInput(v)).toBe(false));
});
