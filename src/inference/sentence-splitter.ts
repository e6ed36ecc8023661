/** A text cut into sentences, with what separated each sentence from the next. */
export interface SplitText {
  /** trimmed, non-empty */
  sentences: string[];
  /** separators[i] comes between sentences[i] and sentences[i + 1]: ' ', or the line breaks */
  separators: string[];
}

const segmenter = new Intl.Segmenter('en', { granularity: 'sentence' });

/**
 * Words whose full stop does not end a sentence. ICU's rules (V8 ships them without the
 * abbreviation exceptions) end one after "Dr." or "e.g."; the model then translates "Dr." on its
 * own. Words that often do end sentences ("etc.", "a.m.", "no.", "Inc.") are left out.
 */
const ABBREVIATIONS = new Set(
  [
    'mr', 'mrs', 'ms', 'dr', 'prof', 'sr', 'jr', 'st', 'mt', 'vs', 'e.g', 'i.e', 'cf', 'vol', 'fig',
    'figs', 'ch', 'pp', 'approx', 'dept', 'gen', 'gov', 'sen', 'rep', 'capt', 'lt', 'col', 'sgt',
    'rev', 'hon', 'jan', 'feb', 'mar', 'apr', 'jun', 'jul', 'aug', 'sep', 'sept', 'oct', 'nov', 'dec',
  ], // prettier-ignore
);

/** A segment that only opens what follows: "Dr.", "J.", a list marker such as "1." or "(b)". */
function continuesIntoNext(sentence: string): boolean {
  const last = /(?:^|[\s(])([A-Za-z][A-Za-z.]*)\.$/.exec(sentence)?.[1];
  if (last !== undefined && (ABBREVIATIONS.has(last.toLowerCase()) || /^[A-Z]$/.test(last))) {
    return true;
  }
  return /^\(?(\d{1,3}|[a-z]|[ivx]{1,4})[.)]$/i.test(sentence);
}

const lineBreaks = (s: string) => (s.match(/\n/g) ?? []).length;

/** The whitespace between two sentences as it is kept: its line breaks, else one space. */
function separatorOf(whitespace: string): string {
  const breaks = lineBreaks(whitespace);
  return breaks > 0 ? '\n'.repeat(breaks) : ' ';
}

/**
 * Splits text into sentences with ICU's sentence rules, then joins back what they cut after
 * an abbreviation, an initial or a list marker. Line and paragraph breaks between sentences
 * are kept as separators, so the translation keeps the text's layout.
 */
export function splitSentences(text: string): SplitText {
  const sentences: string[] = [];
  const separators: string[] = [];
  let open = ''; // a segment waiting to be joined to the next one
  let gap = ''; // whitespace after the last sentence pushed
  for (const { segment } of segmenter.segment(text)) {
    const raw = open + segment;
    const sentence = raw.trim();
    if (sentence === '') {
      gap += raw;
      continue;
    }
    // a line break ends the sentence whatever came before it ("Main St." at the end of a line)
    const trailing = raw.slice(raw.trimEnd().length);
    if (continuesIntoNext(sentence) && !trailing.includes('\n')) {
      open = raw;
      continue;
    }
    open = '';
    if (sentences.length > 0) separators.push(separatorOf(gap + leading(raw)));
    sentences.push(sentence);
    gap = trailing;
  }
  if (open.trim() !== '') {
    if (sentences.length > 0) separators.push(separatorOf(gap + leading(open)));
    sentences.push(open.trim());
  }
  return { sentences, separators };
}

const leading = (s: string) => s.slice(0, s.length - s.trimStart().length);

/**
 * Translated sentences joined with the separators of their source text. An empty translation
 * is left out with its separator; the one with more line breaks of the two stays.
 */
export function joinSentences(translations: string[], separators: string[]): string {
  let text = '';
  let pending: string | undefined;
  translations.forEach((t, i) => {
    if (i > 0) {
      const separator = separators[i - 1] ?? ' ';
      if (pending === undefined || lineBreaks(separator) > lineBreaks(pending)) pending = separator;
    }
    if (t === '') return;
    text += text === '' ? t : (pending ?? ' ') + t;
    pending = undefined;
  });
  return text;
}
