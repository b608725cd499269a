// Twilio's lower-case names for the protos' enums, so that tests write "delivered", not
// MessageStatus.DELIVERED (both are accepted).
import { CallStatus } from "./gen/mockingbird/v1/calls_pb.js";
import { MessageStatus } from "./gen/mockingbird/v1/common_pb.js";
import { EventKind } from "./gen/mockingbird/v1/events_pb.js";

type Lower<T extends string> = Lowercase<T>;
type Dashed<T extends string> = T extends `${infer A}_${infer B}` ? `${A}-${Dashed<B>}` : T;

/** `"delivered"`, `"undelivered"`, `"partially_delivered"`, … */
export type MessageStatusName = Exclude<Lower<keyof typeof MessageStatus>, "unspecified">;
/** `"in-progress"`, `"no-answer"`, `"completed"`, … (Twilio's spelling, with dashes). */
export type CallStatusName = Dashed<Exclude<Lower<keyof typeof CallStatus>, "unspecified">>;
/** `"message_status_changed"`, `"callback_attempted"`, `"call_verb"`, … */
export type EventKindName = Exclude<Lower<keyof typeof EventKind>, "unspecified">;

function lookup<E extends Record<string, string | number>>(enumObject: E, what: string, name: string | number): number {
  if (typeof name === "number") return name;
  const value = enumObject[name.toUpperCase().replace(/-/g, "_")];
  if (typeof value !== "number" || value === 0) throw new Error(`unknown ${what}: ${JSON.stringify(name)}`);
  return value;
}

export const messageStatus = (name: MessageStatusName | MessageStatus): MessageStatus =>
  lookup(MessageStatus, "message status", name);
export const callStatus = (name: CallStatusName | CallStatus): CallStatus => lookup(CallStatus, "call status", name);
export const eventKind = (name: EventKindName | EventKind): EventKind => lookup(EventKind, "event kind", name);

/** One value or several, as a list. */
export const many = <T>(value: T | readonly T[] | undefined): T[] =>
  value === undefined ? [] : Array.isArray(value) ? [...value] : [value as T];
