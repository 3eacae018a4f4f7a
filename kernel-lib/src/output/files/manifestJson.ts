/**
 * Checking DIR/manifest.json as read from disk: every field `readExtraction` uses has the type it
 * needs, or one BAD_INPUT error names the file and the field (`sites[1].heads must be …`).
 */
import { AttnlensError } from "../../errors";
import type { Stack } from "../../result/types";
import type { Manifest, ManifestSite } from "./extractionDir";
import { at, count, list, name, numberRows, object, oneOf, type Place, wrongType } from "./jsonFields";

const STACKS = ["encoder", "decoder"] as const;

export function checkManifest(json: unknown, file: string): Manifest {
  const top: Place = { file, field: "" };
  const m = object(top, json);
  const sites = list(at(top, "sites"), m.sites);
  if (sites.length === 0) throw new AttnlensError("BAD_INPUT", `${file} lists no sites`);
  const out: Manifest = { sites: sites.map((s, i) => checkSite(at(at(top, "sites"), i), s)) };
  if (m.provider !== undefined) out.provider = name(at(top, "provider"), m.provider);
  if (m.fallbacks !== undefined) {
    out.fallbacks = list(at(top, "fallbacks"), m.fallbacks).map((f, i) => {
      const o = object(at(at(top, "fallbacks"), i), f);
      return { provider: String(o.provider), reason: String(o.reason) };
    });
  }
  for (const key of ["masks", "inputIds", "segments"] as const) {
    if (m[key] !== undefined) out[key] = stackRows(at(top, key), m[key]);
  }
  return out;
}

function checkSite(place: Place, v: unknown): ManifestSite {
  const s = object(place, v);
  const site: ManifestSite = {
    id: name(at(place, "id"), s.id),
    stack: oneOf(at(place, "stack"), s.stack, STACKS),
    kind: oneOf(at(place, "kind"), s.kind, ["self", "cross"] as const),
    layer: count(at(place, "layer"), s.layer),
    heads: s.heads === undefined ? 0 : count(at(place, "heads"), s.heads),
    causal: false,
    file: name(at(place, "file"), s.file),
    shape:
      s.shape === undefined ? [] : list(at(place, "shape"), s.shape).map((d, i) => count(at(at(place, "shape"), i), d)),
  };
  if (s.causal !== undefined) {
    if (typeof s.causal !== "boolean") throw wrongType(at(place, "causal"), "true or false", s.causal);
    site.causal = s.causal;
  }
  if (s.node !== undefined) site.node = name(at(place, "node"), s.node);
  if (s.inputs !== undefined) {
    site.inputs = list(at(place, "inputs"), s.inputs).map((x, i) => name(at(at(place, "inputs"), i), x));
  }
  return site;
}

function stackRows(place: Place, v: unknown): Partial<Record<Stack, number[][]>> {
  const o = object(place, v);
  const out: Partial<Record<Stack, number[][]>> = {};
  for (const stack of STACKS)
    if (o[stack] !== undefined && o[stack] !== null) out[stack] = numberRows(at(place, stack), o[stack]);
  return out;
}
