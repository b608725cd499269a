package dev.mockingbird.testing;

import com.google.protobuf.Duration;
import dev.mockingbird.v1.AddressPattern;
import dev.mockingbird.v1.BodyPattern;
import dev.mockingbird.v1.CallBehavior;
import dev.mockingbird.v1.CallbackDisorder;
import dev.mockingbird.v1.DelayedCallback;
import dev.mockingbird.v1.Lifecycle;
import dev.mockingbird.v1.LifecycleStep;
import dev.mockingbird.v1.MessageMatch;
import dev.mockingbird.v1.Rejection;
import dev.mockingbird.v1.Rule;
import java.util.Arrays;

/**
 * Rules that read like the behaviour they set up:
 *
 * <pre>{@code
 * Rules.to("+15557654321").sent(seconds(1)).undelivered(30007)   // sent after 1 s, then undelivered 30007
 * Rules.toPrefix("+1555").reject(21610)                           // the API call fails with 21610
 * Rules.bodyContains("promo").first(2).delivered(seconds(5))      // the first two only
 * Rules.calls().to("+15557654321").rings()                        // rings until call.answer()
 * }</pre>
 *
 * Every method returns a new builder, so a partial rule can be shared. Pass one to {@code
 * tenant.rules().add(…)}; {@link Builder#build()} gives the generated {@link Rule}.
 */
public final class Rules {
    private Rules() {}

    /** Every message (narrow it with the builder's methods). */
    public static Builder anyMessage() {
        return new Builder(Rule.newBuilder());
    }

    public static Builder to(String address) {
        return anyMessage().to(address);
    }

    public static Builder toPrefix(String prefix) {
        return anyMessage().toPrefix(prefix);
    }

    public static Builder toGlob(String glob) {
        return anyMessage().toGlob(glob);
    }

    public static Builder from(String address) {
        return anyMessage().from(address);
    }

    public static Builder bodyContains(String text) {
        return anyMessage().bodyContains(text);
    }

    /** Calls only (channel {@code voice}): {@code Rules.calls().to(number).busy()}. */
    public static Builder calls() {
        return anyMessage().channel("voice");
    }

    /** A rule being written: what it matches, then what happens. Immutable. */
    public static final class Builder {
        private final Rule.Builder rule;

        private Builder(Rule.Builder rule) {
            this.rule = rule;
        }

        private Builder with(java.util.function.Consumer<Rule.Builder> change) {
            Rule.Builder copy = rule.clone();
            change.accept(copy);
            return new Builder(copy);
        }

        private Builder matching(java.util.function.Consumer<MessageMatch.Builder> change) {
            return with(r -> change.accept(r.getWhenBuilder()));
        }

        // ---- which messages (or calls) ------------------------------------------------------

        /** Messages (or calls) to exactly this address. */
        public Builder to(String address) {
            return matching(m -> m.setTo(AddressPattern.newBuilder().setExact(address)));
        }

        public Builder toPrefix(String prefix) {
            return matching(m -> m.setTo(AddressPattern.newBuilder().setPrefix(prefix)));
        }

        /** {@code *} any run of characters, {@code ?} any one: {@code +1555???0007}. */
        public Builder toGlob(String glob) {
            return matching(m -> m.setTo(AddressPattern.newBuilder().setGlob(glob)));
        }

        public Builder from(String address) {
            return matching(m -> m.setFrom(AddressPattern.newBuilder().setExact(address)));
        }

        public Builder fromPrefix(String prefix) {
            return matching(m -> m.setFrom(AddressPattern.newBuilder().setPrefix(prefix)));
        }

        public Builder bodyContains(String text) {
            return matching(m -> m.setBody(BodyPattern.newBuilder().setContains(text)));
        }

        public Builder bodyRegex(String regex) {
            return matching(m -> m.setBody(BodyPattern.newBuilder().setRegex(regex)));
        }

        /** {@code sms}, {@code mms}, {@code whatsapp} or {@code voice}. */
        public Builder channel(String channel) {
            return matching(m -> m.setChannel(channel));
        }

        /** The id events report the rule by ({@code rule-…} when not given). */
        public Builder named(String id) {
            return with(r -> r.setId(id));
        }

        /** Only the first n matching messages; later ones fall through to the next rules. */
        public Builder first(int n) {
            return with(r -> r.setFirstN(n));
        }

        /** The API answers this much later (real time). */
        public Builder latency(java.time.Duration latency) {
            return with(r -> r.setLatency(duration(latency)));
        }

        // ---- what happens to a message ------------------------------------------------------

        /** The API call fails at once with Twilio's error {@code errorCode} (HTTP 400). */
        public Builder reject(int errorCode) {
            return reject(errorCode, 0, "");
        }

        public Builder reject(int errorCode, int httpStatus, String message) {
            return with(r -> r.setReject(Rejection.newBuilder().setErrorCode(errorCode).setHttpStatus(httpStatus).setMessage(message)));
        }

        /** The message is accepted and stays as created (no status follows). */
        public Builder accepted() {
            return with(r -> r.setAccept(Lifecycle.getDefaultInstance()));
        }

        /**
         * A step of the message's script: {@code status} (as Twilio writes it), {@code after}
         * this much tenant time past the previous step.
         */
        public Builder then(String status, java.time.Duration after, int errorCode, String errorMessage) {
            if (rule.hasReject() || rule.hasCall()) {
                throw new IllegalStateException("this rule already has an outcome; a status script cannot follow it");
            }
            return with(r -> r.getAcceptBuilder().addSteps(LifecycleStep.newBuilder()
                    .setStatus(Names.messageStatus(status))
                    .setDelay(duration(after))
                    .setErrorCode(errorCode)
                    .setErrorMessage(errorMessage)));
        }

        public Builder sent() {
            return sent(java.time.Duration.ZERO);
        }

        public Builder sent(java.time.Duration after) {
            return then("sent", after, 0, "");
        }

        public Builder delivered() {
            return delivered(java.time.Duration.ZERO);
        }

        public Builder delivered(java.time.Duration after) {
            return then("delivered", after, 0, "");
        }

        public Builder read(java.time.Duration after) {
            return then("read", after, 0, "");
        }

        public Builder undelivered(int errorCode) {
            return undelivered(errorCode, java.time.Duration.ZERO);
        }

        public Builder undelivered(int errorCode, java.time.Duration after) {
            return then("undelivered", after, errorCode, "");
        }

        public Builder failed(int errorCode) {
            return then("failed", java.time.Duration.ZERO, errorCode, "");
        }

        // ---- misbehaving status callbacks ---------------------------------------------------

        /** Never send the status callbacks for these statuses. */
        public Builder dropCallbacks(String... statuses) {
            return with(r -> Arrays.stream(statuses).map(Names::messageStatus).forEach(r.getCallbacksBuilder()::addDrop));
        }

        /** Send these statuses' callbacks twice, with the same idempotency token. */
        public Builder duplicateCallbacks(String... statuses) {
            return with(r -> Arrays.stream(statuses).map(Names::messageStatus).forEach(r.getCallbacksBuilder()::addDuplicate));
        }

        /** Hold a status's callback back, e.g. {@code sent} by 10 s so it arrives after {@code delivered}. */
        public Builder delayCallback(String status, java.time.Duration by) {
            return with(r -> r.getCallbacksBuilder().addDelay(DelayedCallback.newBuilder()
                    .setStatus(Names.messageStatus(status)).setBy(duration(by))));
        }

        // ---- what a called party does (rules on calls) --------------------------------------

        private Builder callee(CallBehavior.Result result, java.time.Duration ring, java.time.Duration talk, boolean machine) {
            CallBehavior.Builder behavior = CallBehavior.newBuilder().setResult(result).setMachine(machine);
            if (ring != null) {
                behavior.setRing(duration(ring));
            }
            if (talk != null) {
                behavior.setTalk(duration(talk));
            }
            return with(r -> r.setCall(behavior));
        }

        /** The callee picks up after {@code ring} and hangs up after {@code talk} (null: as TwiML ends). */
        public Builder answers(java.time.Duration ring, java.time.Duration talk) {
            return callee(CallBehavior.Result.RESULT_ANSWER, ring, talk, false);
        }

        /** An answering machine picks up. */
        public Builder machineAnswers() {
            return callee(CallBehavior.Result.RESULT_ANSWER, null, null, true);
        }

        public Builder busy() {
            return callee(CallBehavior.Result.RESULT_BUSY, null, null, false);
        }

        public Builder noAnswer() {
            return callee(CallBehavior.Result.RESULT_NO_ANSWER, null, null, false);
        }

        public Builder callFails() {
            return callee(CallBehavior.Result.RESULT_FAIL, null, null, false);
        }

        /** The call rings until the test answers or rejects it ({@code call.answer()} / {@code reject}). */
        public Builder rings() {
            return callee(CallBehavior.Result.RESULT_RING, null, null, false);
        }

        // ---- the rule -----------------------------------------------------------------------

        public Rule build() {
            if (rule.getOutcomeCase() == Rule.OutcomeCase.OUTCOME_NOT_SET) {
                throw new IllegalStateException("a rule needs an outcome: .reject(code), a status script (.sent().delivered()), or a callee (.answers(…))");
            }
            Rule.Builder built = rule.clone();
            if (built.hasCall() && built.getWhen().getChannel().isEmpty()) {
                built.getWhenBuilder().setChannel("voice"); // the server takes call rules for calls only
            }
            if (!built.hasCallbacks()) {
                built.setCallbacks(CallbackDisorder.getDefaultInstance());
            }
            return built.build();
        }

        @Override
        public String toString() {
            return rule.toString();
        }
    }

    static Duration duration(java.time.Duration value) {
        return Duration.newBuilder().setSeconds(value.getSeconds()).setNanos(value.getNano()).build();
    }
}
