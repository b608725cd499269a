// @mockingbird/testing: start (or connect to) mockingbird, a tenant per test, wait for events.
export { Mockingbird, type ConnectOptions, type ControlPlane, type StartOptions } from "./server.js";
export { Tenant, CallHandle, WhatsAppUser } from "./tenant.js";
export { rule, RuleBuilder } from "./rules.js";
export { EventStream, EventTimeoutError, type EventQuery, type WaitOptions } from "./events.js";
export { WebhookReceiver, validMetaSignature, validTwilioSignature, type ReceivedRequest, type Reply, type Responder } from "./webhooks.js";
export { MockingbirdRequestClient, type SentRequest } from "./twilio.js";
export { useMockingbird, useReceiver, useTenant } from "./testing.js";
export { spanMs, type Span } from "./durations.js";
export type { CallStatusName, EventKindName, MessageStatusName } from "./names.js";
// The generated messages and enums most tests look at.
export { CallStatus } from "./gen/mockingbird/v1/calls_pb.js";
export { Direction, HttpMethod, MessageStatus } from "./gen/mockingbird/v1/common_pb.js";
export { EventKind, type Event } from "./gen/mockingbird/v1/events_pb.js";
export { InboundDelivery } from "./gen/mockingbird/v1/whatsapp_pb.js";
