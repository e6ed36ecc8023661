/** Hugging Face beam-search bookkeeping (BeamHypotheses, early_stopping=false semantics). */

export interface Hypothesis {
  tokens: number[];
  score: number;
}

/** The n best finished hypotheses of one sentence, scored sum_logprob / length^length_penalty. */
export class BeamHypotheses {
  private readonly hyps: Hypothesis[] = [];
  private worstScore = 1e9;

  constructor(
    private readonly numBeams: number,
    private readonly lengthPenalty: number,
  ) {}

  get size(): number {
    return this.hyps.length;
  }

  add(tokens: number[], sumLogProbs: number, generatedLength: number): void {
    const score = sumLogProbs / Math.pow(Math.max(generatedLength, 1), this.lengthPenalty);
    if (this.hyps.length < this.numBeams || score > this.worstScore) {
      this.hyps.push({ tokens, score });
      if (this.hyps.length > this.numBeams) {
        let worst = 0;
        this.hyps.forEach((h, i) => {
          if (h.score < this.hyps[worst].score) worst = i;
        });
        this.hyps.splice(worst, 1);
      }
      this.worstScore = Math.min(...this.hyps.map((h) => h.score));
    }
  }

  /**
   * Done when n hypotheses exist and the best running beam can no longer beat the worst of them
   * (HF early_stopping=false heuristic: the running beam's score at its current length).
   */
  isDone(bestRunningSumLogProbs: number, generatedLength: number): boolean {
    if (this.hyps.length < this.numBeams) return false;
    const highestAttainable =
      bestRunningSumLogProbs / Math.pow(Math.max(generatedLength, 1), this.lengthPenalty);
    return this.worstScore >= highestAttainable;
  }

  /** Highest score; earlier-added wins ties so the result does not depend on batch order. */
  best(): Hypothesis | undefined {
    let best: Hypothesis | undefined;
    for (const h of this.hyps) if (best === undefined || h.score > best.score) best = h;
    return best;
  }
}

export interface Candidate {
  score: number;
  /** beam row (within the sentence) the candidate extends */
  beam: number;
  token: number;
}

/**
 * The k best (beam, token) continuations by cumulative log-probability, best first.
 * Ties go to the lower (beam, token) pair, like a stable sort over the flattened scores.
 */
export function topCandidates(
  rows: readonly Float64Array[],
  beamScores: readonly number[],
  k: number,
): Candidate[] {
  const top: Candidate[] = [];
  rows.forEach((logProbs, beam) => {
    const base = beamScores[beam];
    for (let token = 0; token < logProbs.length; token++) {
      const score = base + logProbs[token];
      if (score === -Infinity) continue;
      if (top.length === k && score <= top[k - 1].score) continue;
      // insertion keeps `top` sorted descending; equal scores stay in scan order
      let at = top.length;
      while (at > 0 && top[at - 1].score < score) at--;
      top.splice(at, 0, { score, beam, token });
      if (top.length > k) top.pop();
    }
  });
  return top;
}
