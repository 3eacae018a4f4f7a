/**
 * The Ray engine's entry point (issue 15, item 3): `attnlens corpus … --engine ray` calls
 * runRayCorpus. This file is only the seam; the Ray engine replaces it.
 */
import { AttnlensError } from "../../errors";

/** What the CLI passes to the Ray engine: the parsed command line. */
export interface RayCorpusOptions {
  source: string;
  data: string;
  out: string;
  values: Record<string, string | boolean | undefined>;
}

export async function runRayCorpus(_options: RayCorpusOptions): Promise<number> {
  throw new AttnlensError("BAD_INPUT", "--engine ray: not built in this version");
}
