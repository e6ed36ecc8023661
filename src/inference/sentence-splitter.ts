/** Splits text into trimmed, non-empty sentences with ICU's sentence rules. */
const segmenter = new Intl.Segmenter('en', { granularity: 'sentence' });

export function splitSentences(text: string): string[] {
  return Array.from(segmenter.segment(text), (s) => s.segment.trim()).filter((s) => s.length > 0);
}

/** Translated sentences are joined with one space, the separator the splitter trimmed away. */
export function joinSentences(sentences: string[]): string {
  return sentences.join(' ');
}
