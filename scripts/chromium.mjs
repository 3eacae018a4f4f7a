/**
 * Headless Chromium as the browser tests and the widgets benchmark launch it: the system's
 * /usr/bin/chromium through playwright-core (nothing is downloaded), with background networking,
 * updates and sync off. Importable: `import { launchChromium } from "../scripts/chromium.mjs"`.
 */
import { chromium } from "playwright-core";

export const CHROMIUM_ARGS = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--no-first-run",
];

/** A playwright-core Browser. */
export function launchChromium() {
  return chromium.launch({ executablePath: "/usr/bin/chromium", args: CHROMIUM_ARGS });
}
