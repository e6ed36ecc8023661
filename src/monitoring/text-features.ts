import { LATIN_LETTER } from '../common/latin-script';

/** Features of one source sentence, compared against the training profile. */
export interface TextFeatures {
  /** source tokens without the appended `</s>` */
  tokenLength: number;
  unknownTokens: number;
  /** share of letters (\p{L}) that are not Latin script; 0 for texts without letters */
  nonLatinShare: number;
}

const LETTER = /\p{L}/gu;

export function nonLatinShare(text: string): number {
  const letters = text.match(LETTER);
  if (!letters) return 0;
  const nonLatin = letters.filter((l) => !LATIN_LETTER.test(l)).length;
  return nonLatin / letters.length;
}
