/**
 * Collects a child's stdout or stderr while it runs (so a chatty hook never
 * blocks on a full pipe), keeping the first OUTPUT_LIMIT bytes.
 */
import { OUTPUT_LIMIT } from "./errors.ts";

export interface Collector {
  /** Resolves at end of stream or after stop(). */
  readonly done: Promise<void>;
  text(): string;
  /** Stops reading: a grandchild that inherited the pipe may hold it open forever. */
  stop(): void;
}

export function collect(stream: ReadableStream<Uint8Array>, limit = OUTPUT_LIMIT): Collector {
  const chunks: Uint8Array[] = [];
  let kept = 0;
  let dropped = 0;
  const reader = stream.getReader();
  const done = (async () => {
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) return;
        const room = limit - kept;
        if (room > 0) {
          const piece = value.byteLength <= room ? value : value.subarray(0, room);
          chunks.push(piece);
          kept += piece.byteLength;
        }
        dropped += Math.max(0, value.byteLength - Math.max(0, room));
      }
    } catch {
      // cancelled by stop(), or the pipe broke: keep what we have
    }
  })();
  return {
    done,
    text: () => {
      const text = Buffer.concat(chunks).toString("utf8");
      return dropped > 0 ? `${text}[… ${dropped} more bytes]` : text;
    },
    stop: () => {
      reader.cancel().catch(() => {});
    },
  };
}
