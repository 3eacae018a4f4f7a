/**
 * Type checks for fields of the JSON files of an extraction directory. These files may be edited
 * by hand or damaged, so each wrong field is one BAD_INPUT error naming the file and the field.
 */
import { AttnlensError } from "../../errors";

/** Where a value sits, for messages: the file and a field path such as `sites[2].heads`. */
export interface Place {
  file: string;
  field: string;
}

export function at(place: Place, field: string | number): Place {
  const sep = typeof field === "number" ? "" : place.field ? "." : "";
  return { file: place.file, field: `${place.field}${sep}${typeof field === "number" ? `[${field}]` : field}` };
}

/** What a JSON value is, in words ("null", "a string", "a list", …). */
export function kindOf(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "a list";
  if (typeof v === "object") return "an object";
  if (typeof v === "string") return `the string ${JSON.stringify(v.slice(0, 40))}`;
  return `${typeof v} ${String(v)}`;
}

export function wrongType(place: Place, want: string, v: unknown): AttnlensError {
  const where = place.field ? `"${place.field}"` : "the top level";
  return new AttnlensError("BAD_INPUT", `${place.file}: ${where} must be ${want}, not ${kindOf(v)}`);
}

export function object(place: Place, v: unknown): Record<string, unknown> {
  if (typeof v !== "object" || v === null || Array.isArray(v)) throw wrongType(place, "an object", v);
  return v as Record<string, unknown>;
}

export function list(place: Place, v: unknown): unknown[] {
  if (!Array.isArray(v)) throw wrongType(place, "a list", v);
  return v;
}

export function string(place: Place, v: unknown): string {
  if (typeof v !== "string") throw wrongType(place, "a string", v);
  return v;
}

/** A string that messages may quote: no control characters (a newline would split the error line). */
export function name(place: Place, v: unknown): string {
  const s = string(place, v);
  const control = [...s].some((c) => c.charCodeAt(0) < 0x20 || c.charCodeAt(0) === 0x7f);
  if (control || s.length > 200) throw wrongType(place, "a name (no control characters, ≤ 200 long)", v);
  return s;
}

export function count(place: Place, v: unknown): number {
  if (typeof v !== "number" || !Number.isSafeInteger(v) || v < 0) throw wrongType(place, "a whole number ≥ 0", v);
  return v;
}

export function oneOf<T extends string>(place: Place, v: unknown, options: readonly T[]): T {
  if (typeof v !== "string" || !options.includes(v as T))
    throw wrongType(place, options.map((o) => `"${o}"`).join(" or "), v);
  return v as T;
}

/** A list of lists of finite numbers (masks, token ids), one list per sample. */
export function numberRows(place: Place, v: unknown): number[][] {
  return list(place, v).map((row, b) =>
    list(at(place, b), row).map((x, i) => {
      if (typeof x !== "number" || !Number.isFinite(x)) throw wrongType(at(at(place, b), i), "a number", x);
      return x;
    }),
  );
}
