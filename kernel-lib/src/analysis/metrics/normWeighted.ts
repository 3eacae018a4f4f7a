/**
 * Norm-based attention (Kobayashi et al. 2020, "Attention is not only a weight"): what source j
 * adds to target i in head h is α_ij·f(x_j), so its size is α_ij·‖f(x_j)‖, with ‖f(x_j)‖ from
 * the graph (`openModel(…, { valueNorms: true })`, result.valueNorms). A source that gets much
 * attention but contributes a short vector ([SEP], [CLS], punctuation in BERT) counts for less.
 *
 * The maps come back as an AttentionResult, so every metric and view takes them: with
 * `normalize` (the default) each row is divided by its sum and is a distribution again.
 */
import { AttnlensError } from "../../errors";
import type { AttentionResult, SiteAttention, SiteValueNorms } from "../../result/types";

/** Options of {@link normWeighted}. */
export interface NormWeightOptions {
  /**
   * Divide each row by its sum (default true): a distribution over sources that analyzeResult,
   * rollout and the views accept. false keeps α_ij·‖f(x_j)‖ in the units of the hidden state.
   */
  normalize?: boolean;
}

/**
 * The result with each site's map replaced by norm-based attention, α_ij·‖f(x_j)‖ per head
 * (rows normalized unless `normalize: false`); everything else (tokens, masks, ids) is kept.
 */
export function normWeighted(result: AttentionResult, options: NormWeightOptions = {}): AttentionResult {
  const norms = result.valueNorms ?? [];
  const bySite = new Map(norms.map((n) => [n.site, n]));
  const missing = result.sites.filter((s) => !bySite.has(s.id)).map((s) => s.id);
  // Why the surgery found no values for a site, where the run recorded it.
  const reasons = new Map((result.valueNormsMissing ?? []).map((m) => [m.site, m.reason]));
  const why = (ids: string[]) => ids.map((id) => (reasons.has(id) ? `${id} (${reasons.get(id)})` : id)).join(", ");
  if (norms.length === 0 && reasons.size === 0)
    throw new AttnlensError(
      "BAD_INPUT",
      "normWeighted needs the value norms: open the model with openModel(source, { valueNorms: true }) (or loadModel) and run it again",
    );
  if (missing.length > 0)
    throw new AttnlensError(
      "BAD_INPUT",
      `normWeighted: no value norms for site(s) ${why(missing)}: their value vectors were not found in this graph, ` +
        "so norm-based attention is not available for them (the attention weights are)",
    );
  const normalize = options.normalize ?? true;
  return {
    ...result,
    sites: result.sites.map((s) => weighSite(s, bySite.get(s.id) as SiteValueNorms, normalize)),
  };
}

function weighSite(site: SiteAttention, norms: SiteValueNorms, normalize: boolean): SiteAttention {
  const [B, H, T, S] = site.dims;
  const [nb, nh, ns] = norms.dims;
  if (nb !== B || nh !== H || ns !== S)
    throw new AttnlensError(
      "BAD_INPUT",
      `normWeighted: site ${site.id} has maps [${site.dims.join(", ")}] but value norms [${norms.dims.join(", ")}] (batch, heads, source must match)`,
    );
  const out = new Float32Array(site.data.length);
  for (let bh = 0; bh < B * H; bh++) {
    const n = norms.data.subarray(bh * S, (bh + 1) * S);
    for (let t = 0; t < T; t++) {
      const row = (bh * T + t) * S;
      let sum = 0;
      for (let j = 0; j < S; j++) sum += out[row + j] = site.data[row + j] * n[j];
      if (normalize && sum > 0) for (let j = 0; j < S; j++) out[row + j] /= sum;
    }
  }
  return { ...site, data: out };
}
