import { durationFromMs, type Duration } from "@bufbuild/protobuf/wkt";

/** A span of time: milliseconds as a number, or text such as `"1s"`, `"250ms"`, `"2m"`. */
export type Span = number | `${number}ms` | `${number}s` | `${number}m`;

/** Milliseconds in `span`; throws on text it cannot read, naming it. */
export function spanMs(span: Span): number {
  if (typeof span === "number") return span;
  const match = /^(\d+(?:\.\d+)?)(ms|s|m)$/.exec(span);
  if (!match) throw new Error(`not a span of time: ${JSON.stringify(span)} (write 500, "500ms", "2s" or "1m")`);
  const unit = { ms: 1, s: 1_000, m: 60_000 }[match[2] as "ms" | "s" | "m"];
  return Number(match[1]) * unit;
}

/** `span` as a google.protobuf.Duration. */
export function toDuration(span: Span): Duration {
  return durationFromMs(spanMs(span));
}
