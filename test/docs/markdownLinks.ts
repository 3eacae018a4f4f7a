/**
 * Relative links in Markdown files: each must name a file that exists and, with `#anchor`, a heading
 * in it (GitHub's anchors: lower case, punctuation dropped, spaces as hyphens, repeats numbered) or
 * an explicit `<a id="…">`.
 */
import { existsSync, readFileSync } from "node:fs";
import * as path from "node:path";

/** GitHub's anchor names for the headings of a Markdown text. */
export function headingAnchors(markdown: string): Set<string> {
  const seen = new Map<string, number>();
  const anchors = new Set<string>();
  const text = markdown.replace(/```[\s\S]*?```/g, "");
  for (const m of text.matchAll(/^#{1,6}\s+(.*?)\s*#*$/gm)) {
    const base = m[1]
      .replace(/<[^>]+>/g, "")
      .replace(/\[([^\]]*)\]\([^)]*\)/g, "$1")
      .toLowerCase()
      .replace(/[^\p{L}\p{N}\s_-]/gu, "")
      .replace(/\s/g, "-");
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    anchors.add(n === 0 ? base : `${base}-${n}`);
  }
  for (const m of text.matchAll(/<a\s+(?:id|name)="([^"]+)"/g)) anchors.add(m[1]);
  return anchors;
}

/** Broken relative links of one Markdown file, as `file: link (why)` lines. */
export function brokenLinks(file: string): string[] {
  const markdown = readFileSync(file, "utf8");
  const text = markdown.replace(/```[\s\S]*?```/g, "").replace(/`[^`\n]*`/g, "");
  const broken: string[] = [];
  for (const m of text.matchAll(/\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g)) {
    const link = m[1];
    if (/^[a-z][a-z0-9+.-]*:/i.test(link)) continue; // http:, mailto:, …
    const [target, anchor] = link.split("#", 2);
    const targetFile = target ? path.resolve(path.dirname(file), decodeURI(target)) : file;
    if (!existsSync(targetFile)) {
      broken.push(`${file}: ${link} (no such file)`);
      continue;
    }
    if (anchor && targetFile.endsWith(".md") && !headingAnchors(readFileSync(targetFile, "utf8")).has(anchor)) {
      broken.push(`${file}: ${link} (no heading #${anchor})`);
    }
  }
  return broken;
}
