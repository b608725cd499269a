package dev.mockingbird.testing;

import dev.mockingbird.v1.CallStatus;
import dev.mockingbird.v1.EventFilter;
import dev.mockingbird.v1.EventKind;
import dev.mockingbird.v1.MessageStatus;
import java.time.Duration;
import java.util.Arrays;

/**
 * Which events a test waits for or subscribes to, with names as Twilio and the event log write
 * them:
 *
 * <pre>{@code
 * tenant.waitFor(EventQuery.of("message_status_changed").sid(message.getSid()).status("delivered"));
 * tenant.waitFor(EventQuery.of(EventKind.EVENT_KIND_CALL_VERB).sid(call.sid()).bodyContains("sales"));
 * }</pre>
 *
 * The tenant fills in its account; {@link #timeout} (5 s by default) bounds each wait, and
 * {@link #after} skips events up to a sequence number.
 */
public final class EventQuery {
    public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(5);

    final EventFilter.Builder filter = EventFilter.newBuilder();
    long after;
    Duration timeout = DEFAULT_TIMEOUT;

    private EventQuery() {}

    /** Events of any of these kinds ({@code message_status_changed}, …); all kinds when none. */
    public static EventQuery of(String... kinds) {
        EventQuery query = new EventQuery();
        Arrays.stream(kinds).map(Names::eventKind).forEach(query.filter::addKinds);
        return query;
    }

    public static EventQuery of(EventKind... kinds) {
        EventQuery query = new EventQuery();
        Arrays.stream(kinds).forEach(query.filter::addKinds);
        return query;
    }

    /** Every event of the tenant. */
    public static EventQuery any() {
        return new EventQuery();
    }

    /** About this message or call. */
    public EventQuery sid(String sid) {
        filter.setSid(sid);
        return this;
    }

    public EventQuery to(String to) {
        filter.setTo(to);
        return this;
    }

    public EventQuery from(String from) {
        filter.setFrom(from);
        return this;
    }

    /** A message status, as Twilio writes it: {@code delivered}, {@code undelivered}, … */
    public EventQuery status(String... statuses) {
        Arrays.stream(statuses).map(Names::messageStatus).forEach(filter::addStatuses);
        return this;
    }

    public EventQuery status(MessageStatus... statuses) {
        Arrays.stream(statuses).forEach(filter::addStatuses);
        return this;
    }

    /** A call status, as Twilio writes it: {@code ringing}, {@code in-progress}, {@code completed}, … */
    public EventQuery callStatus(String... statuses) {
        Arrays.stream(statuses).map(Names::callStatus).forEach(filter::addCallStatuses);
        return this;
    }

    public EventQuery callStatus(CallStatus... statuses) {
        Arrays.stream(statuses).forEach(filter::addCallStatuses);
        return this;
    }

    public EventQuery bodyContains(String text) {
        filter.setBodyContains(text);
        return this;
    }

    public EventQuery bodyRegex(String regex) {
        filter.setBodyRegex(regex);
        return this;
    }

    /** WhatsApp message types: {@code text}, {@code interactive}, {@code template}, … */
    public EventQuery whatsappTypes(String... types) {
        filter.addAllWhatsappTypes(Arrays.asList(types));
        return this;
    }

    /** Only events after this sequence number (a reset's, or a WhatsApp send's {@code after_sequence}). */
    public EventQuery after(long sequence) {
        this.after = sequence;
        return this;
    }

    /** How long a wait (or each read of a subscription) may take. */
    public EventQuery timeout(Duration timeout) {
        this.timeout = timeout;
        return this;
    }

    EventFilter filterFor(String accountSid) {
        return filter.clone().setAccountSid(accountSid).build();
    }
}
