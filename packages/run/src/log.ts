/**
 * --log / --log-format / --debug. runc's logrus shape: with json, one object a
 * line {"level":"error","msg":…,"time":RFC3339}; containerd reports the last
 * error's msg, podman parses the file as one object, so a failed command
 * writes exactly one line at the default level. pino is imported only when a
 * log file or JSON is requested, so the plain fast path never loads it.
 */
import { appendFileSync } from "node:fs";

export type Level = "error" | "warning" | "info" | "debug";

export interface LogOptions {
  readonly file?: string | undefined;
  readonly format: "text" | "json";
  readonly debug: boolean;
}

export interface Logger {
  log(level: Level, msg: string): void;
  flush(): void;
}

function rfc3339Seconds(d = new Date()): string {
  return d.toISOString().replace(/\.\d{3}Z$/, "Z");
}

function textLine(level: Level, msg: string): string {
  return `time="${rfc3339Seconds()}" level=${level} msg=${JSON.stringify(msg)}\n`;
}

const enabled = (o: LogOptions, level: Level) => level === "error" || level === "warning" || (o.debug && true) || level === "info";

/** Logger to a file (text or json) or, for json without a file, to stderr. */
export async function openLogger(o: LogOptions): Promise<Logger | undefined> {
  if (o.format === "text") {
    if (o.file === undefined) return undefined;
    const file = o.file;
    return {
      log: (level, msg) => {
        if (level === "debug" && !o.debug) return;
        appendFileSync(file, textLine(level, msg));
      },
      flush: () => {},
    };
  }
  const { pino } = await import("pino");
  const dest = pino.destination({ dest: o.file ?? 2, sync: true, append: true, mkdir: false });
  const p = pino(
    {
      level: o.debug ? "debug" : "info",
      base: null,
      messageKey: "msg",
      customLevels: { warning: 40 },
      useOnlyCustomLevels: false,
      formatters: { level: (label) => ({ level: label === "warn" ? "warning" : label }) },
      timestamp: () => `,"time":"${rfc3339Seconds()}"`,
    },
    dest,
  );
  return {
    log: (level, msg) => {
      if (!enabled(o, level)) return;
      if (level === "warning") p.warn(msg);
      else p[level](msg);
    },
    flush: () => dest.flushSync(),
  };
}
