/** RFC 3339 UTC with nanoseconds, as runc's "created" (Go time.RFC3339Nano keeps 9 digits here). */
export function rfc3339Nano(): string {
  const ms = performance.timeOrigin + performance.now();
  const whole = Math.floor(ms);
  const iso = new Date(whole).toISOString().slice(0, 19);
  const ns = Math.round((ms - Math.floor(ms / 1000) * 1000) * 1e6);
  const frac = String(Math.min(ns, 999_999_999)).padStart(9, "0").replace(/0+$/, "");
  return `${iso}${frac ? "." + frac : ""}Z`;
}
