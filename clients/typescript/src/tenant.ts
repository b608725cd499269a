import type { MessageInitShape } from "@bufbuild/protobuf";
import { timestampDate } from "@bufbuild/protobuf/wkt";
import twilio from "twilio";
import {
  RejectCallRequest_Reason,
  type Call,
  type CallDetail,
  type CallStatus,
  type PlaceInboundCallRequestSchema,
} from "./gen/mockingbird/v1/calls_pb.js";
import type { ClockState } from "./gen/mockingbird/v1/clock_pb.js";
import type { CallbackAttempt, Message, MessageStatus } from "./gen/mockingbird/v1/common_pb.js";
import type { Event } from "./gen/mockingbird/v1/events_pb.js";
import type { SendInboundRequestSchema, SendInboundResponse } from "./gen/mockingbird/v1/messages_pb.js";
import type { AddNumberRequestSchema, PhoneNumber, UpdateNumberRequestSchema } from "./gen/mockingbird/v1/numbers_pb.js";
import type { Rule, RuleSchema } from "./gen/mockingbird/v1/rules_pb.js";
import type { Tenant as TenantProto, WhatsAppIdentity } from "./gen/mockingbird/v1/tenants_pb.js";
import type {
  SendWhatsAppInboundRequestSchema,
  SendWhatsAppInboundResponse,
  UpdateWhatsAppSettingsRequestSchema,
  VerifyWebhookResponse,
  WhatsAppSettings,
} from "./gen/mockingbird/v1/whatsapp_pb.js";
import { spanMs, toDuration, type Span } from "./durations.js";
import { EventStream, toFilter, waitForEvent, type EventQuery, type WaitOptions } from "./events.js";
import { callStatus, messageStatus, type CallStatusName, type MessageStatusName } from "./names.js";
import { RuleBuilder } from "./rules.js";
import type { ControlPlane, Mockingbird } from "./server.js";
import { MockingbirdRequestClient } from "./twilio.js";
import { validMetaSignature, validTwilioSignature, type ReceivedRequest } from "./webhooks.js";

// What a caller passes where the protos take a request: the tenant fills in `accountSid`.
type Without<T, K extends string> = Omit<T, K | "$typeName">;
type NumberOptions = Without<MessageInitShape<typeof AddNumberRequestSchema>, "accountSid" | "phoneNumber">;
type NumberChanges = Without<MessageInitShape<typeof UpdateNumberRequestSchema>, "accountSid" | "number">;
type InboundSms = Without<MessageInitShape<typeof SendInboundRequestSchema>, "accountSid">;
type InboundCall = Without<MessageInitShape<typeof PlaceInboundCallRequestSchema>, "accountSid">;
type WhatsAppMessage = Without<MessageInitShape<typeof SendWhatsAppInboundRequestSchema>, "accountSid" | "from">;
type WhatsAppSettingsChange = Without<MessageInitShape<typeof UpdateWhatsAppSettingsRequestSchema>, "accountSid">;
type RuleInit = RuleBuilder | MessageInitShape<typeof RuleSchema>;

/** The Graph API version the Cloud API facade's URLs carry. */
const GRAPH_VERSION = "v23.0";

/**
 * One test's account on the server: a Twilio account with an API key and a WhatsApp Business
 * identity, its own numbers, rules, clock and events. `dispose()` (or `await using`) deletes it.
 */
export class Tenant implements AsyncDisposable {
  readonly accountSid: string;
  readonly authToken: string;
  readonly apiKeySid: string;
  readonly apiKeySecret: string;
  readonly label: string;
  /** What a WhatsApp bot configures: phone-number id, access token, app secret, verify token, … */
  readonly whatsapp: WhatsAppIdentity;
  /** The Graph API base a bot uses instead of `https://graph.facebook.com/v23.0`. */
  readonly graphUrl: string;

  readonly numbers: Numbers;
  readonly rules: Rules;
  readonly clock: TenantClock;
  readonly messages: Messages;
  readonly calls: Calls;

  private readonly control: ControlPlane;

  constructor(
    /** The server the tenant lives on: its `httpUrl` serves the Twilio API and the dashboard. */
    readonly server: Mockingbird,
    proto: TenantProto,
  ) {
    this.accountSid = proto.accountSid;
    this.authToken = proto.authToken;
    this.apiKeySid = proto.apiKeySid;
    this.apiKeySecret = proto.apiKeySecret;
    this.label = proto.label;
    this.whatsapp = proto.whatsapp!;
    this.graphUrl = `${server.httpUrl}/${GRAPH_VERSION}`;
    this.control = server.control;
    this.numbers = new Numbers(this.control, this.accountSid);
    this.rules = new Rules(this.control, this.accountSid);
    this.clock = new TenantClock(this.control, this.accountSid);
    this.messages = new Messages(this.control, this.accountSid);
    this.calls = new Calls(this.control, this.accountSid);
  }

  /**
   * What the official twilio SDK needs to talk to this tenant on mockingbird:
   * `twilio(s.accountSid, s.authToken, { httpClient: s.httpClient })`. The SDK has no base-URL
   * option; `httpClient` sends its requests (paging links too) to the server.
   */
  twilioSettings(): { accountSid: string; authToken: string; httpClient: MockingbirdRequestClient } {
    return { accountSid: this.accountSid, authToken: this.authToken, httpClient: new MockingbirdRequestClient(this.server.httpUrl) };
  }

  /**
   * The official twilio client, as this tenant, pointed at the server; with `{ apiKey: true }`
   * it authenticates with the tenant's API key (`SK…` and its secret) instead of the auth token.
   */
  twilioClient(options: { apiKey?: boolean } = {}): twilio.Twilio {
    const { accountSid, authToken, httpClient } = this.twilioSettings();
    return options.apiKey
      ? twilio(this.apiKeySid, this.apiKeySecret, { accountSid, httpClient })
      : twilio(accountSid, authToken, { httpClient });
  }

  /** Wait for the first event matching `query` (after `options.after`); see `EventTimeoutError`. */
  waitFor(query: EventQuery, options: WaitOptions = {}): Promise<Event> {
    return waitForEvent(this.control.events, toFilter(this.accountSid, query), options);
  }

  /** The tenant's events matching `query`: stored ones after `after`, then live ones. */
  subscribe(query: EventQuery = {}, options: { after?: bigint | number; liveOnly?: boolean } = {}): EventStream {
    return new EventStream(this.control.events, toFilter(this.accountSid, query), options);
  }

  /** A user texts one of the tenant's numbers (SMS, or `whatsapp:+…` for Twilio's WhatsApp). */
  sendInboundSms(request: InboundSms): Promise<SendInboundResponse> {
    return this.control.messages.sendInbound({ ...request, accountSid: this.accountSid });
  }

  /** A WhatsApp user (their number, or a BSUID) writing to the business number. */
  whatsappUser(from: string, profileName = ""): WhatsAppUser {
    return new WhatsAppUser(this.control, this.accountSid, from, profileName);
  }

  whatsappSettings(): Promise<WhatsAppSettings> {
    return this.control.whatsapp.getSettings({ accountSid: this.accountSid });
  }

  /** Change some Cloud API settings (`{ webhookUrl }`, the window, templates, …). */
  async updateWhatsAppSettings(change: WhatsAppSettingsChange): Promise<WhatsAppSettings> {
    const { settings } = await this.control.whatsapp.updateSettings({ ...change, accountSid: this.accountSid });
    return settings!;
  }

  /**
   * The Cloud API's verification handshake against the app: a GET to `url` (else the tenant's
   * webhook URL) with `hub.mode=subscribe`, the verify token and a challenge; `echoed` says
   * whether the app answered 200 with the bare challenge, as Meta requires.
   */
  verifyWhatsAppWebhook(url?: string): Promise<VerifyWebhookResponse> {
    return this.control.whatsapp.verifyWebhook({ accountSid: this.accountSid, url });
  }

  /**
   * Drop the tenant's data (messages, webhook attempts, pending status changes, events,
   * opt-outs) and its rules, and let its clock run again; its credentials and numbers stay.
   * Resolves to the sequence number of its reset event: pass it as `after` to wait only for
   * what comes next.
   */
  async reset(): Promise<bigint> {
    const { sequence } = await this.control.tenants.resetTenant({ accountSid: this.accountSid });
    return sequence;
  }

  /** Whether a webhook the receiver got is signed by Twilio with this tenant's auth token. */
  signedByTwilio(request: ReceivedRequest): boolean {
    return validTwilioSignature(request, this.authToken);
  }

  /** Whether a webhook the receiver got is signed by Meta with this tenant's app secret. */
  signedByMeta(request: ReceivedRequest): boolean {
    return validMetaSignature(request, this.whatsapp.appSecret);
  }

  /** Delete the tenant and everything it owns. */
  async dispose(): Promise<void> {
    await this.control.tenants.deleteTenant({ accountSid: this.accountSid });
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.dispose();
  }
}

class Numbers {
  constructor(private readonly control: ControlPlane, private readonly accountSid: string) {}

  /** Give the tenant `phoneNumber` (a valid `From`), with its webhooks: `{ smsUrl, voiceUrl }`. */
  add(phoneNumber: string, options: NumberOptions = {}): Promise<PhoneNumber> {
    return this.control.numbers.addNumber({ ...options, accountSid: this.accountSid, phoneNumber });
  }
  async list(): Promise<PhoneNumber[]> {
    return (await this.control.numbers.listNumbers({ accountSid: this.accountSid })).numbers;
  }
  update(number: string, changes: NumberChanges): Promise<PhoneNumber> {
    return this.control.numbers.updateNumber({ ...changes, accountSid: this.accountSid, number });
  }
  async remove(number: string): Promise<void> {
    await this.control.numbers.removeNumber({ accountSid: this.accountSid, number });
  }
}

class Rules {
  constructor(private readonly control: ControlPlane, private readonly accountSid: string) {}

  /** Append a rule (it matches after the existing ones): `add(rule().to(n).rejects(21211))`. */
  add(rule: RuleInit): Promise<Rule> {
    return this.control.rules.addRule({ accountSid: this.accountSid, rule: asRule(rule) });
  }
  /** Replace every rule, in the order they are tried. */
  async replace(...rules: RuleInit[]): Promise<Rule[]> {
    return (await this.control.rules.replaceRules({ accountSid: this.accountSid, rules: rules.map(asRule) })).rules;
  }
  async list(): Promise<Rule[]> {
    return (await this.control.rules.listRules({ accountSid: this.accountSid })).rules;
  }
  async clear(): Promise<void> {
    await this.control.rules.clearRules({ accountSid: this.accountSid });
  }
}

function asRule(rule: RuleInit): MessageInitShape<typeof RuleSchema> {
  return rule instanceof RuleBuilder ? rule.toProto() : rule;
}

/** The tenant's clock: frozen, time moves only when the test advances it. */
class TenantClock {
  constructor(private readonly control: ControlPlane, private readonly accountSid: string) {}

  freeze(): Promise<ClockState> {
    return this.control.clock.freeze({ accountSid: this.accountSid });
  }
  /** Move a frozen clock on by `by`; everything due runs, in order, before this resolves. */
  advance(by: Span): Promise<ClockState> {
    return this.control.clock.advance({ accountSid: this.accountSid, by: toDuration(spanMs(by)) });
  }
  resume(): Promise<ClockState> {
    return this.control.clock.resume({ accountSid: this.accountSid });
  }
  /** The tenant's time. */
  async now(): Promise<Date> {
    const state = await this.control.clock.getClock({ accountSid: this.accountSid });
    return timestampDate(state.now!);
  }
}

class Messages {
  constructor(private readonly control: ControlPlane, private readonly accountSid: string) {}

  /** Captured messages, newest first. */
  async list(filter: { to?: string; from?: string; limit?: number } = {}): Promise<Message[]> {
    return (await this.control.messages.listMessages({ ...filter, accountSid: this.accountSid })).messages;
  }
  get(sid: string): Promise<Message> {
    return this.control.messages.getMessage({ accountSid: this.accountSid, sid });
  }
  /** The webhook attempts sent to the app (status callbacks, inbound webhooks), newest first. */
  async callbackAttempts(filter: { resourceSid?: string; limit?: number } = {}): Promise<CallbackAttempt[]> {
    return (await this.control.messages.listCallbackAttempts({ ...filter, accountSid: this.accountSid })).attempts;
  }
  /** Send a recorded attempt's webhook again, now, signed anew; resolves to the new attempt with the app's answer. */
  redeliver(attemptId: bigint): Promise<CallbackAttempt> {
    return this.control.messages.redeliverCallback({ accountSid: this.accountSid, attemptId });
  }
  /** Set a message's status now (its callback is sent before this resolves). */
  setStatus(sid: string, status: MessageStatusName | MessageStatus, errorCode = 0): Promise<Message> {
    return this.control.messages.setMessageStatus({ accountSid: this.accountSid, sid, status: messageStatus(status), errorCode });
  }
}

class Calls {
  constructor(private readonly control: ControlPlane, private readonly accountSid: string) {}

  /** A simulated caller dials one of the tenant's numbers; its VoiceUrl's TwiML runs. */
  async placeInbound(call: InboundCall): Promise<CallHandle> {
    const detail = await this.control.calls.placeInboundCall({ ...call, accountSid: this.accountSid });
    return new CallHandle(this.control, this.accountSid, detail);
  }
  /** The tenant's calls, newest first; `parentCallSid` lists the legs a call dialed. */
  async list(
    filter: { to?: string; from?: string; status?: CallStatusName | CallStatus; parentCallSid?: string; limit?: number } = {},
  ): Promise<Call[]> {
    const { status, ...rest } = filter;
    const request = { ...rest, accountSid: this.accountSid, status: status === undefined ? undefined : callStatus(status) };
    return (await this.control.calls.listCalls(request)).calls;
  }
  /** A call the app placed (or any), by SID, to act on as the person on the line. */
  async get(sid: string): Promise<CallHandle> {
    const detail = await this.control.calls.getCall({ accountSid: this.accountSid, sid });
    return new CallHandle(this.control, this.accountSid, detail);
  }
}

/**
 * The test as the person on a call. Every action answers once the TwiML has run as far as it
 * can; `detail` is then the call with its whole transcript.
 */
export class CallHandle {
  constructor(
    private readonly control: ControlPlane,
    private readonly accountSid: string,
    /** The call and its transcript, as of the last action. */
    public detail: CallDetail,
  ) {}

  get sid(): string {
    return this.detail.call!.sid;
  }
  /** `gather`, `record`, `pause` or `dial` while the call waits for one; else empty. */
  get waitingFor(): string {
    return this.detail.waitingFor;
  }
  /** What the caller heard `<Say>`, in order. */
  said(): string[] {
    return this.detail.transcript.filter((entry) => entry.type === "said").map((entry) => entry.text);
  }

  press(digits: string): Promise<this> {
    return this.act(this.control.calls.pressDigits({ accountSid: this.accountSid, sid: this.sid, digits }));
  }
  say(text: string): Promise<this> {
    return this.act(this.control.calls.saySpeech({ accountSid: this.accountSid, sid: this.sid, text }));
  }
  hangUp(): Promise<this> {
    return this.act(this.control.calls.hangUp({ accountSid: this.accountSid, sid: this.sid }));
  }
  /** Answer a ringing call the app placed (as an answering machine with `machine`). */
  answer(machine = false): Promise<this> {
    return this.act(this.control.calls.answerCall({ accountSid: this.accountSid, sid: this.sid, machine }));
  }
  reject(reason: "busy" | "no-answer" | "failed" = "busy"): Promise<this> {
    const reasons = { busy: RejectCallRequest_Reason.BUSY, "no-answer": RejectCallRequest_Reason.NO_ANSWER, failed: RejectCallRequest_Reason.FAILED };
    return this.act(this.control.calls.rejectCall({ accountSid: this.accountSid, sid: this.sid, reason: reasons[reason] }));
  }
  /** Read the call again. */
  refresh(): Promise<this> {
    return this.act(this.control.calls.getCall({ accountSid: this.accountSid, sid: this.sid }));
  }

  private async act(pending: Promise<CallDetail>): Promise<this> {
    this.detail = await pending;
    return this;
  }
}

/** A simulated WhatsApp user writing to the tenant's business number (Cloud API webhooks). */
export class WhatsAppUser {
  constructor(
    private readonly control: ControlPlane,
    private readonly accountSid: string,
    /** Their number (digits) or BSUID. */
    readonly from: string,
    private readonly profileName: string,
  ) {}

  /** A text message; resolves once the app answered its webhook. */
  sendText(body: string, options: Omit<WhatsAppMessage, "message"> = {}): Promise<SendWhatsAppInboundResponse> {
    return this.send({ ...options, message: { case: "text", value: { body } } });
  }
  /** A tap on an interactive message's reply button. */
  tapButton(id: string, title = "", options: Omit<WhatsAppMessage, "message"> = {}): Promise<SendWhatsAppInboundResponse> {
    return this.send({ ...options, message: { case: "buttonReply", value: { id, title } } });
  }
  /** The user's conversation with the business number, oldest first (the latest `limit`, 50 by default). */
  async conversation(limit = 0): Promise<Message[]> {
    return (await this.control.whatsapp.getConversation({ accountSid: this.accountSid, user: this.from, limit })).messages;
  }
  /** Any message type `SendInbound` simulates. */
  send(message: WhatsAppMessage): Promise<SendWhatsAppInboundResponse> {
    return this.control.whatsapp.sendInbound({ profileName: this.profileName, ...message, accountSid: this.accountSid, from: this.from });
  }
}
