package dev.mockingbird.testing;

import com.google.protobuf.ProtocolMessageEnum;
import dev.mockingbird.v1.CallStatus;
import dev.mockingbird.v1.EventKind;
import dev.mockingbird.v1.MessageStatus;
import java.util.Locale;

/**
 * Names as Twilio and the event log write them ({@code delivered}, {@code in-progress}, {@code
 * message_status_changed}) to the generated enums, and back.
 */
public final class Names {
    private Names() {}

    public static MessageStatus messageStatus(String name) {
        return MessageStatus.valueOf("MESSAGE_STATUS_" + constant(name));
    }

    public static CallStatus callStatus(String name) {
        return CallStatus.valueOf("CALL_STATUS_" + constant(name));
    }

    public static EventKind eventKind(String name) {
        return EventKind.valueOf("EVENT_KIND_" + constant(name));
    }

    /** {@code CALL_STATUS_IN_PROGRESS} → {@code in-progress}: how Twilio writes a status. */
    public static String twilioName(ProtocolMessageEnum value, String prefix) {
        String constant = ((Enum<?>) value).name();
        return constant.substring(prefix.length()).toLowerCase(Locale.ROOT).replace('_', '-');
    }

    private static String constant(String name) {
        return name.trim().toUpperCase(Locale.ROOT).replace('-', '_');
    }
}
