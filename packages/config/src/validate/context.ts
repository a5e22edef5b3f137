// What every validation step shares: where problems are collected, and readers over the raw (already
// shape-checked) document that treat a wrong type as absent, because the shape pass has reported it.
import { parseDuration } from '../duration.ts';
import type { Issue, Path } from '../path.ts';
import { isObject } from '../shape.ts';

export interface Ctx {
  readonly errors: Issue[];
  readonly warnings: Issue[];
}

export const err = (ctx: Ctx, path: Path, message: string): void => {
  ctx.errors.push({ path, message });
};
export const warn = (ctx: Ctx, path: Path, message: string): void => {
  ctx.warnings.push({ path, message });
};

export const field = (o: unknown, k: string): unknown => (isObject(o) ? o[k] : undefined);
export const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
export const int = (v: unknown): number | undefined =>
  typeof v === 'number' && Number.isInteger(v) ? v : undefined;
export const bool = (v: unknown): boolean | undefined => (typeof v === 'boolean' ? v : undefined);
export const list = (v: unknown): readonly unknown[] => (Array.isArray(v) ? v : []);
/** Seconds of a duration field; undefined when absent or malformed (the schema pattern reports that). */
export const duration = (v: unknown): number | undefined => {
  const s = str(v);
  if (s === undefined) return undefined;
  const d = parseDuration(s);
  return d.ok ? d.seconds : undefined;
};
/** Seconds of a validated duration field, or of DFLT when absent. */
export const seconds = (v: unknown, dflt: string): number => {
  const d = parseDuration(str(v) ?? dflt);
  return d.ok ? d.seconds : 0;
};

/** A DNS-1123 label (namespace names; alias names that look like one). */
export const NAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/** Names must be unique within a section: they are how the other sections refer to an entry. */
export function checkDuplicateNames(
  ctx: Ctx,
  items: readonly unknown[],
  section: string,
  what: string,
): void {
  const seen = new Map<string, number>();
  items.forEach((item, i) => {
    const n = str(field(item, 'name'));
    if (n === undefined) return;
    const first = seen.get(n);
    if (first !== undefined)
      err(ctx, [section, i, 'name'], `duplicate ${what} name "${n}" (also ${section}[${first}])`);
    else seen.set(n, i);
  });
}
