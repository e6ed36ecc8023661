/** A letter of the Latin script: what an English sentence has at least one of. */
export const LATIN_LETTER = /\p{Script=Latin}/u;
