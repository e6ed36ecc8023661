const UNPAIRED_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/**
 * JSON can carry half of a UTF-16 surrogate pair ("\udc00"): not text, and echoed back it makes
 * the answer invalid UTF-8 for strict clients (serde_json, Go's encoding/json with validation).
 */
export const hasUnpairedSurrogate = (text: string): boolean => UNPAIRED_SURROGATE.test(text);
