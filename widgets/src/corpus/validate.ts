/**
 * Checking a corpus payload before any view reads it: every number finite, every list the length
 * the site table says, every reference in range, every name a plain identifier (a payload is data
 * from a file someone else may have written: no key may reach Object.prototype, no string is markup).
 */
import { decodePayload } from "../payload/validate";
import type { CorpusExamples, CorpusPayload, CorpusSite, CorpusStats } from "./types";

function fail(message: string): never {
  throw new Error(`attnlens corpus payload: ${message}`);
}

const NAME = /^[A-Za-z][A-Za-z0-9_]{0,39}$/;
const RESERVED = new Set(["constructor", "prototype", "toString", "valueOf", "hasOwnProperty"]);

function isName(s: unknown): s is string {
  return typeof s === "string" && NAME.test(s) && !RESERVED.has(s);
}

function isNum(x: unknown): x is number {
  return typeof x === "number" && Number.isFinite(x);
}

function isCount(x: unknown): x is number {
  return Number.isInteger(x) && (x as number) >= 0;
}

/** True when `value` claims to be a corpus payload (hosts use it to pick the corpus view). */
export function isCorpusPayload(value: unknown): boolean {
  const p = typeof value === "string" ? safeParse(value) : value;
  return !!p && typeof p === "object" && (p as { kind?: unknown }).kind === "corpus";
}

function safeParse(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}

function own<T>(record: Record<string, T>, key: string): T | undefined {
  return Object.hasOwn(record, key) ? record[key] : undefined;
}

function checkStats(where: string, s: CorpusStats | null): void {
  if (s === null) return;
  if (!s || typeof s !== "object") fail(`${where}: expected stats or null`);
  if (!isCount(s.n)) fail(`${where}: n must be a count`);
  for (const k of ["mean", "std", "min", "max"] as const) if (!isNum(s[k])) fail(`${where}: ${k} must be a number`);
  if (!Array.isArray(s.ci95) || s.ci95.length !== 2 || !s.ci95.every(isNum)) fail(`${where}: ci95 must be [lo, hi]`);
  if (!Array.isArray(s.q) || s.q.length !== 5 || !s.q.every(isNum)) fail(`${where}: q must hold 5 quantiles`);
}

function checkSite(site: CorpusSite, i: number, metrics: string[]): void {
  const where = `sites[${i}]`;
  if (!site || typeof site !== "object") fail(`${where}: not an object`);
  if (site.stack !== "encoder" && site.stack !== "decoder") fail(`${where}: stack must be encoder or decoder`);
  if (site.kind !== "self" && site.kind !== "cross") fail(`${where}: kind must be self or cross`);
  if (!isCount(site.layer) || !(Number.isInteger(site.heads) && site.heads >= 1 && site.heads <= 4096))
    fail(`${where}: layer and heads must be integers`);
  if (site.id !== `${site.stack}.${site.kind}.${site.layer}`) fail(`${where}: id must be stack.kind.layer`);
  if (!site.stats || typeof site.stats !== "object") fail(`${where}: stats missing`);
  for (const key of Object.keys(site.stats)) if (!metrics.includes(key)) fail(`${where}: stats for unlisted metric`);
  for (const m of metrics) {
    const list = own(site.stats, m);
    if (list === undefined) continue;
    if (!Array.isArray(list) || list.length !== site.heads) fail(`${where}.stats.${m}: needs one entry per head`);
    list.forEach((s, h) => checkStats(`${where}.stats.${m}[${h}]`, s));
  }
  if (site.patterns !== undefined) {
    if (!Array.isArray(site.patterns) || site.patterns.length !== site.heads) fail(`${where}.patterns: one per head`);
    for (const counts of site.patterns) {
      if (!counts || typeof counts !== "object" || Array.isArray(counts)) fail(`${where}.patterns: objects`);
      for (const [label, n] of Object.entries(counts))
        if (!/^[a-z][a-z+_-]{0,39}$/.test(label) || !isCount(n)) fail(`${where}.patterns: label → count`);
    }
  }
  if (site.cluster !== undefined && (!Array.isArray(site.cluster) || site.cluster.length !== site.heads))
    fail(`${where}.cluster: one per head`);
}

function checkExamples(ex: CorpusExamples, p: CorpusPayload): void {
  if (!Array.isArray(ex.metrics) || !ex.metrics.every(isName)) fail("examples.metrics: names");
  if (!isCount(ex.perHead) || !isCount(ex.maxChars)) fail("examples: perHead and maxChars must be counts");
  if (typeof ex.method !== "string") fail("examples.method: text");
  if (!Array.isArray(ex.inputs)) fail("examples.inputs: a list");
  const byId = new Map(p.sites.map((s) => [s.id, s]));
  for (const input of ex.inputs) {
    if (!isCount(input?.input) || typeof input.text !== "string") fail("examples.inputs: {input, text, values}");
    if (!input.values || typeof input.values !== "object") fail("examples.inputs: values missing");
    for (const [siteId, perMetric] of Object.entries(input.values)) {
      const site = byId.get(siteId);
      if (!site) fail("examples.inputs: values for an unknown site");
      for (const [m, list] of Object.entries(perMetric ?? {})) {
        if (!p.metrics.includes(m)) fail("examples.inputs: values of an unlisted metric");
        if (!Array.isArray(list) || list.length !== site.heads || !list.every((x) => x === null || isNum(x)))
          fail(`examples.inputs: ${siteId}.${m} needs one number or null per head`);
      }
    }
  }
  if (!ex.heads || typeof ex.heads !== "object") fail("examples.heads missing");
  for (const [siteId, heads] of Object.entries(ex.heads)) {
    const site = byId.get(siteId);
    if (!site || !Array.isArray(heads) || heads.length !== site.heads) fail("examples.heads: one entry per head");
    for (const h of heads)
      for (const side of [h?.typical, h?.atypical]) {
        if (!Array.isArray(side)) fail("examples.heads: typical and atypical lists");
        for (const pair of side)
          if (!Array.isArray(pair) || !isCount(pair[0]) || pair[0] >= ex.inputs.length || !isNum(pair[1]))
            fail("examples.heads: [input index, score] pairs in range");
      }
  }
}

/** Accepts the corpus payload object or its JSON text; returns it typed, or throws saying what is wrong. */
export function decodeCorpusPayload(value: unknown): CorpusPayload {
  const p = (typeof value === "string" ? JSON.parse(value) : value) as CorpusPayload;
  if (!p || typeof p !== "object") fail("not an object");
  if (p.v !== 1 || p.kind !== "corpus") fail(`expected { v: 1, kind: "corpus" }`);
  if (!isCount(p.inputs) || !isCount(p.skipped)) fail("inputs and skipped must be counts");
  for (const k of ["title", "model", "data", "engine"] as const)
    if (p[k] !== undefined && typeof p[k] !== "string") fail(`${k} must be text`);
  if (!Array.isArray(p.metrics) || p.metrics.length === 0 || !p.metrics.every(isName))
    fail("metrics must be a list of metric names");
  if (!Array.isArray(p.sites) || p.sites.length === 0) fail("sites must be a non-empty list");
  p.sites.forEach((s, i) => checkSite(s, i, p.metrics));
  if (p.clusters) {
    const c = p.clusters;
    if (!isCount(c.k) || !Array.isArray(c.order) || typeof c.method !== "string") fail("clusters: {method, k, order}");
    for (const pair of c.order)
      if (!Array.isArray(pair) || !isCount(pair[0]) || pair[0] >= p.sites.length || !isCount(pair[1]))
        fail("clusters.order: [site index, head] pairs in range");
    for (const s of p.sites)
      if (!s.cluster?.every((x) => isCount(x) && x < c.k)) fail("clusters: each head needs a cluster < k");
  }
  if (p.examples) checkExamples(p.examples, p);
  if (p.opened) {
    if (!isCount(p.opened.input) || typeof p.opened.text !== "string") fail("opened: {input, text, payload}");
    decodePayload(p.opened.payload);
  }
  if (p.notes !== undefined && (!Array.isArray(p.notes) || !p.notes.every((n) => typeof n === "string")))
    fail("notes must be text lines");
  return p;
}
