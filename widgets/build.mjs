/** `npm run build` (after tsc): writes dist/attnlens-widgets.js and reports its size. */
import { statSync } from "node:fs";
import { bundle, OUTFILE } from "./bundle.mjs";

await bundle();
console.log(`attnlens widgets bundle: ${OUTFILE} (${(statSync(OUTFILE).size / 1024).toFixed(0)} KiB)`);
