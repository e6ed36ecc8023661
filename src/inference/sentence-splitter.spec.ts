import { joinSentences, splitSentences } from './sentence-splitter';

describe('sentence splitting', () => {
  it('splits on sentence boundaries and trims', () => {
    expect(splitSentences('Hello there. How are you?  I am fine!\nGood night.')).toEqual([
      'Hello there.',
      'How are you?',
      'I am fine!',
      'Good night.',
    ]);
  });

  it('keeps abbreviations-free single sentences whole and drops blank input', () => {
    expect(splitSentences('Just one sentence without a stop')).toEqual([
      'Just one sentence without a stop',
    ]);
    expect(splitSentences('   \n ')).toEqual([]);
  });

  it('joins translations with single spaces', () => {
    expect(joinSentences(['एक।', 'दो।'])).toBe('एक। दो।');
  });
});
