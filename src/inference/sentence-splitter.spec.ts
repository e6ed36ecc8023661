import { joinSentences, splitSentences } from './sentence-splitter';

describe('sentence splitting', () => {
  it('splits on sentence boundaries and trims', () => {
    expect(splitSentences('Hello there. How are you?  I am fine!\nGood night.')).toEqual({
      sentences: ['Hello there.', 'How are you?', 'I am fine!', 'Good night.'],
      separators: [' ', ' ', '\n'],
    });
  });

  it('keeps abbreviations-free single sentences whole and drops blank input', () => {
    expect(splitSentences('Just one sentence without a stop').sentences).toEqual([
      'Just one sentence without a stop',
    ]);
    expect(splitSentences('   \n ')).toEqual({ sentences: [], separators: [] });
  });

  it.each([
    ['Dr. Smith went home.', ['Dr. Smith went home.']],
    ['Mr. Jones met Mrs. Smith. They talked.', ['Mr. Jones met Mrs. Smith.', 'They talked.']],
    ['Bring fruit, e.g. apples. Thanks.', ['Bring fruit, e.g. apples.', 'Thanks.']],
    ['J. K. Rowling wrote it.', ['J. K. Rowling wrote it.']],
    [
      '1. Orders ship in 2 days. 2. Returns are free.',
      ['1. Orders ship in 2 days.', '2. Returns are free.'],
    ],
    // words that usually end a sentence still do
    ['We sold apples, pears, etc. Then we left.', ['We sold apples, pears, etc.', 'Then we left.']],
    ['She said no. Then she left.', ['She said no.', 'Then she left.']],
    ['It ends with Dr.', ['It ends with Dr.']],
    // a line break ends a sentence even after an abbreviation or a list marker
    ['I met Dr.\n\nSmith arrived.', ['I met Dr.', 'Smith arrived.']],
    ['Contents\n1.\nIntro', ['Contents', '1.', 'Intro']],
  ])('keeps abbreviations, initials and list markers with what follows: %s', (text, sentences) => {
    expect(splitSentences(text).sentences).toEqual(sentences);
  });

  it('never puts a line break inside a sentence', () => {
    const split = splitSentences(
      'Appendix A.\n\nThis appendix covers costs. Main St.\nSpringfield',
    );
    expect(split.sentences.some((x) => x.includes('\n'))).toBe(false);
    expect(split.separators).toEqual(['\n\n', ' ', '\n']);
  });

  it('keeps line and paragraph breaks between sentences as separators', () => {
    const split = splitSentences(
      'Shipping policy\n\n1. Orders ship in 2 days.\r\n2. Returns are free.',
    );
    expect(split).toEqual({
      sentences: ['Shipping policy', '1. Orders ship in 2 days.', '2. Returns are free.'],
      separators: ['\n\n', '\n'],
    });
    expect(joinSentences(['नीति', 'एक।', 'दो।'], split.separators)).toBe('नीति\n\nएक।\nदो।');
  });

  it('joins translations with their separators, leaving out empty ones', () => {
    expect(joinSentences(['एक।', 'दो।'], [' '])).toBe('एक। दो।');
    expect(joinSentences(['एक।', '', 'तीन।'], [' ', '\n\n'])).toBe('एक।\n\nतीन।');
    expect(joinSentences(['', 'दो।'], ['\n'])).toBe('दो।');
  });
});
