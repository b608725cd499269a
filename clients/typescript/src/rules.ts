import { create } from "@bufbuild/protobuf";
import {
  CallBehavior_Result,
  RuleSchema,
  type AddressPattern,
  type LifecycleStep,
  type Rule,
} from "./gen/mockingbird/v1/rules_pb.js";
import { MessageStatus } from "./gen/mockingbird/v1/common_pb.js";
import { toDuration, type Span } from "./durations.js";
import { messageStatus, type MessageStatusName } from "./names.js";

type StatusStep = { after?: Span; errorMessage?: string };

/**
 * A rule that reads like the behaviour it sets up:
 *
 *     rule().to("+15550000007").sent({ after: "1s" }).undelivered(30007)
 *     rule().to("+15550000666").rejects(21211)
 *     rule().channel("voice").to("+15550000042").busy()
 *
 * Matchers narrow which messages (or calls) it takes; the first outcome method called decides
 * what happens to them, and status steps chain (each after the previous one, on the tenant's
 * clock). Hand it to `tenant.rules.add(...)`.
 */
export function rule(id = ""): RuleBuilder {
  return new RuleBuilder(id);
}

export class RuleBuilder {
  private readonly proto: Rule;

  constructor(id = "") {
    this.proto = create(RuleSchema, { id, when: {} });
  }

  /** Only messages to exactly this address. */
  to(address: string): this {
    this.when.to = addressPattern("exact", address);
    return this;
  }
  /** Only messages to addresses starting with `prefix`. */
  toPrefix(prefix: string): this {
    this.when.to = addressPattern("prefix", prefix);
    return this;
  }
  /** Only messages to addresses matching `glob` (`*` any run, `?` any one character). */
  toGlob(glob: string): this {
    this.when.to = addressPattern("glob", glob);
    return this;
  }
  /** Only messages from exactly this address. */
  from(address: string): this {
    this.when.from = addressPattern("exact", address);
    return this;
  }
  /** Only `sms`, `mms`, `whatsapp` or `voice` (calls). */
  channel(channel: "sms" | "mms" | "whatsapp" | "voice"): this {
    this.when.channel = channel;
    return this;
  }
  /** Only messages whose body contains `text`. */
  bodyContains(text: string): this {
    this.when.body = { $typeName: "mockingbird.v1.BodyPattern", pattern: { case: "contains", value: text } };
    return this;
  }
  /** Only messages whose body matches `regex` (Rust `regex` syntax). */
  bodyMatches(regex: string): this {
    this.when.body = { $typeName: "mockingbird.v1.BodyPattern", pattern: { case: "regex", value: regex } };
    return this;
  }
  /** Take only the first `n` matching messages; later ones fall through to the next rules. */
  firstN(n: number): this {
    this.proto.firstN = n;
    return this;
  }
  /** The API answers this much later (real time). */
  latency(span: Span): this {
    this.proto.latency = toDuration(span);
    return this;
  }

  /** The API call fails at once with Twilio's `code` (HTTP 400 unless given). */
  rejects(code: number, options: { httpStatus?: number; message?: string } = {}): this {
    this.proto.outcome = {
      case: "reject",
      value: {
        $typeName: "mockingbird.v1.Rejection",
        errorCode: code,
        httpStatus: options.httpStatus ?? 0,
        message: options.message ?? "",
      },
    };
    return this;
  }
  /** Accepted, and stays as created unless status steps follow. */
  accepted(): this {
    this.steps();
    return this;
  }
  sent(options: StatusStep = {}): this {
    return this.status("sent", options);
  }
  delivered(options: StatusStep = {}): this {
    return this.status("delivered", options);
  }
  read(options: StatusStep = {}): this {
    return this.status("read", options);
  }
  undelivered(errorCode: number, options: StatusStep = {}): this {
    return this.status("undelivered", { ...options, errorCode });
  }
  failed(errorCode: number, options: StatusStep = {}): this {
    return this.status("failed", { ...options, errorCode });
  }
  /** Any status step: `status("sent", { after: "1s" })`. */
  status(status: MessageStatusName | MessageStatus, options: StatusStep & { errorCode?: number } = {}): this {
    this.steps().push({
      $typeName: "mockingbird.v1.LifecycleStep",
      status: messageStatus(status),
      delay: toDuration(options.after ?? 0),
      errorCode: options.errorCode ?? 0,
      errorMessage: options.errorMessage ?? "",
    });
    return this;
  }

  /** A call the rule takes is answered (after `ring`; the callee hangs up after `talk`). */
  answers(options: { ring?: Span; talk?: Span; machine?: boolean } = {}): this {
    return this.callee(CallBehavior_Result.ANSWER, options);
  }
  /** The callee is busy (after `ring`). */
  busy(options: { ring?: Span } = {}): this {
    return this.callee(CallBehavior_Result.BUSY, options);
  }
  /** The callee lets it ring until the call's Timeout: no-answer. */
  noAnswer(): this {
    return this.callee(CallBehavior_Result.NO_ANSWER, {});
  }
  /** The call fails before it rings. */
  callFails(): this {
    return this.callee(CallBehavior_Result.FAIL, {});
  }
  /** It rings until the test answers or rejects it. */
  keepsRinging(): this {
    return this.callee(CallBehavior_Result.RING, {});
  }

  /** Never send the status callbacks for these statuses. */
  dropCallbacks(...statuses: MessageStatusName[]): this {
    this.disorder().drop.push(...statuses.map(messageStatus));
    return this;
  }
  /** Send the status callbacks for these statuses twice. */
  duplicateCallbacks(...statuses: MessageStatusName[]): this {
    this.disorder().duplicate.push(...statuses.map(messageStatus));
    return this;
  }
  /** Hold the callback for `status` back by `by`. */
  delayCallback(status: MessageStatusName, by: Span): this {
    this.disorder().delay.push({
      $typeName: "mockingbird.v1.DelayedCallback",
      status: messageStatus(status),
      by: toDuration(by),
    });
    return this;
  }

  /** The rule as the control plane takes it. */
  toProto(): Rule {
    return this.proto;
  }

  private get when() {
    return this.proto.when!;
  }

  private steps(): LifecycleStep[] {
    if (this.proto.outcome.case !== "accept") {
      this.proto.outcome = { case: "accept", value: { $typeName: "mockingbird.v1.Lifecycle", steps: [] } };
    }
    return this.proto.outcome.value.steps;
  }

  private callee(result: CallBehavior_Result, options: { ring?: Span; talk?: Span; machine?: boolean }): this {
    this.proto.outcome = {
      case: "call",
      value: {
        $typeName: "mockingbird.v1.CallBehavior",
        result,
        machine: options.machine ?? false,
        ring: options.ring === undefined ? undefined : toDuration(options.ring),
        talk: options.talk === undefined ? undefined : toDuration(options.talk),
      },
    };
    return this;
  }

  private disorder() {
    this.proto.callbacks ??= { $typeName: "mockingbird.v1.CallbackDisorder", drop: [], duplicate: [], delay: [] };
    return this.proto.callbacks;
  }
}

function addressPattern(match: NonNullable<AddressPattern["pattern"]["case"]>, value: string): AddressPattern {
  return { $typeName: "mockingbird.v1.AddressPattern", pattern: { case: match, value } };
}

