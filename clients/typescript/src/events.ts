import { create } from "@bufbuild/protobuf";
import { Code, ConnectError, type Client } from "@connectrpc/connect";
import type { CallStatus } from "./gen/mockingbird/v1/calls_pb.js";
import type { MessageStatus } from "./gen/mockingbird/v1/common_pb.js";
import { EventFilterSchema, Events, type Event, type EventFilter, type EventKind } from "./gen/mockingbird/v1/events_pb.js";
import { spanMs, toDuration, type Span } from "./durations.js";
import {
  callStatus,
  eventKind,
  many,
  messageStatus,
  type CallStatusName,
  type EventKindName,
  type MessageStatusName,
} from "./names.js";

type OneOrMany<T> = T | readonly T[];

/** Which events: every criterion given must hold. The tenant adds its own account SID. */
export interface EventQuery {
  kind?: OneOrMany<EventKindName | EventKind>;
  /** The message or call (`SM…`, `CA…`). */
  sid?: string;
  to?: string;
  from?: string;
  status?: OneOrMany<MessageStatusName | MessageStatus>;
  callStatus?: OneOrMany<CallStatusName | CallStatus>;
  bodyContains?: string;
  bodyRegex?: string;
  /** Meta's message types (`text`, `interactive`, `template`, …). */
  whatsappType?: OneOrMany<string>;
}

export interface WaitOptions {
  /** How long to wait; 10 s by default. */
  timeout?: Span;
  /** Only events after this sequence number (0, the default, considers everything stored). */
  after?: bigint | number;
}

/**
 * `waitFor` found nothing in time. The message is the server's own explanation: the nearest
 * events and what each got wrong.
 */
export class EventTimeoutError extends Error {
  override name = "EventTimeoutError";
}

export function toFilter(accountSid: string, query: EventQuery): EventFilter {
  return create(EventFilterSchema, {
    accountSid,
    kinds: many(query.kind).map(eventKind),
    sid: query.sid ?? "",
    to: query.to ?? "",
    from: query.from ?? "",
    statuses: many(query.status).map(messageStatus),
    callStatuses: many(query.callStatus).map(callStatus),
    bodyContains: query.bodyContains ?? "",
    bodyRegex: query.bodyRegex ?? "",
    whatsappTypes: many(query.whatsappType),
  });
}

// The server's own timeout decides; the call's deadline only catches a server gone silent.
const DEADLINE_SLACK_MS = 5_000;

export async function waitForEvent(
  events: Client<typeof Events>,
  filter: EventFilter,
  options: WaitOptions = {},
): Promise<Event> {
  const timeoutMs = spanMs(options.timeout ?? 10_000);
  try {
    return await events.waitFor(
      { filter, afterSequence: BigInt(options.after ?? 0), timeout: toDuration(timeoutMs) },
      { timeoutMs: timeoutMs + DEADLINE_SLACK_MS },
    );
  } catch (err) {
    const error = ConnectError.from(err);
    if (error.code === Code.DeadlineExceeded) throw new EventTimeoutError(error.rawMessage);
    throw error;
  }
}

/**
 * The events `Subscribe` streams: those stored after `after`, then live ones. Iterate it with
 * `for await`, or `take(n)` with a timeout; leaving the loop (or `close()`) ends the stream.
 */
export class EventStream implements AsyncIterable<Event>, AsyncDisposable {
  private readonly abort = new AbortController();
  private readonly iterator: AsyncIterator<Event>;
  private pending: Promise<IteratorResult<Event>> | null = null;

  constructor(events: Client<typeof Events>, filter: EventFilter, options: { after?: bigint | number; liveOnly?: boolean }) {
    const stream = events.subscribe(
      { filter, afterSequence: BigInt(options.after ?? 0), liveOnly: options.liveOnly ?? false },
      { signal: this.abort.signal },
    );
    this.iterator = stream[Symbol.asyncIterator]();
  }

  /** The next event; rejects after `timeout` (10 s by default). */
  async next(timeout: Span = 10_000): Promise<Event> {
    const [event] = await this.take(1, timeout);
    return event!;
  }

  /** The next `count` events; rejects after `timeout` (10 s by default) with those seen. */
  async take(count: number, timeout: Span = 10_000): Promise<Event[]> {
    const seen: Event[] = [];
    const timeoutMs = spanMs(timeout);
    let timer: NodeJS.Timeout | undefined;
    const expired = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        const kinds = seen.map((event) => `#${event.sequence} ${event.payload.case}`).join(", ") || "none";
        reject(new EventTimeoutError(`subscribe: ${count} event(s) not seen within ${timeoutMs} ms (seen: ${kinds})`));
      }, timeoutMs);
    });
    try {
      while (seen.length < count) {
        const result = this.consumed(await Promise.race([this.read(), expired]));
        if (result.done) throw new Error(`subscribe: the stream ended after ${seen.length} of ${count} event(s)`);
        seen.push(result.value);
      }
      return seen;
    } finally {
      clearTimeout(timer);
    }
  }

  async *[Symbol.asyncIterator](): AsyncIterator<Event> {
    try {
      for (;;) {
        const result = this.consumed(await this.read());
        if (result.done) return;
        yield result.value;
      }
    } catch (err) {
      if (!this.abort.signal.aborted) throw err;
    } finally {
      this.close();
    }
  }

  // The read in flight is forgotten only by the caller that got its result (`consumed`): a read
  // whose caller gave up (a timed-out `take`) hands its event to the next caller.
  private read(): Promise<IteratorResult<Event>> {
    return (this.pending ??= this.iterator.next());
  }

  private consumed<T>(result: T): T {
    this.pending = null;
    return result;
  }

  /** End the stream (the server stops sending at once). */
  close(): void {
    this.abort.abort();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    this.close();
  }
}
