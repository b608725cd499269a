package dev.mockingbird.testing;

import dev.mockingbird.v1.AnswerCallRequest;
import dev.mockingbird.v1.CallDetail;
import dev.mockingbird.v1.HangUpRequest;
import dev.mockingbird.v1.PressDigitsRequest;
import dev.mockingbird.v1.RejectCallRequest;
import dev.mockingbird.v1.SaySpeechRequest;
import dev.mockingbird.v1.TranscriptEntry;
import java.util.List;
import java.util.stream.Collectors;

/**
 * A call, with the test as the person on the line. Each action returns once the call's TwiML
 * has run as far as it can, and updates {@link #detail()}.
 */
public final class Call {
    private final Tenant tenant;
    private volatile CallDetail detail;

    Call(Tenant tenant, CallDetail detail) {
        this.tenant = tenant;
        this.detail = detail;
    }

    public String sid() {
        return detail.getCall().getSid();
    }

    /** As Twilio writes it: {@code ringing}, {@code in-progress}, {@code completed}, {@code no-answer}, … */
    public String status() {
        return Names.twilioName(detail.getCall().getStatus(), "CALL_STATUS_");
    }

    /** {@code gather}, {@code record}, {@code pause} or {@code dial} while the call waits for one; else empty. */
    public String waitingFor() {
        return detail.getWaitingFor();
    }

    public List<TranscriptEntry> transcript() {
        return detail.getTranscriptList();
    }

    /** What the caller heard {@code <Say>}, in order. */
    public List<String> said() {
        return transcript().stream().filter(e -> e.getType().equals("said")).map(TranscriptEntry::getText).collect(Collectors.toList());
    }

    /** The transcript as lines a person reads ({@code said "Goodbye."}, {@code paused 1 s}), as {@code mockingbird call show} prints them. */
    public List<String> transcriptLines() {
        return transcript().stream().map(TranscriptEntry::getDescription).collect(Collectors.toList());
    }

    /** The call as the control plane last returned it. */
    public CallDetail detail() {
        return detail;
    }

    /** Presses keys ({@code 0-9}, {@code *}, {@code #}; {@code w} waits). */
    public Call press(String digits) {
        detail = tenant.server().stubs().calls().pressDigits(PressDigitsRequest.newBuilder()
                .setAccountSid(tenant.accountSid()).setSid(sid()).setDigits(digits).build());
        return this;
    }

    /** Speaks: a speech {@code <Gather>} takes the words, a {@code <Record>} records. */
    public Call say(String text) {
        detail = tenant.server().stubs().calls().saySpeech(SaySpeechRequest.newBuilder()
                .setAccountSid(tenant.accountSid()).setSid(sid()).setText(text).build());
        return this;
    }

    public Call hangUp() {
        detail = tenant.server().stubs().calls().hangUp(HangUpRequest.newBuilder()
                .setAccountSid(tenant.accountSid()).setSid(sid()).build());
        return this;
    }

    /** Answers a call the app placed that is still ringing. */
    public Call answer() {
        detail = tenant.server().stubs().calls().answerCall(AnswerCallRequest.newBuilder()
                .setAccountSid(tenant.accountSid()).setSid(sid()).build());
        return this;
    }

    /** Ends a call the app placed that has not been answered. */
    public Call reject(RejectCallRequest.Reason reason) {
        detail = tenant.server().stubs().calls().rejectCall(RejectCallRequest.newBuilder()
                .setAccountSid(tenant.accountSid()).setSid(sid()).setReason(reason).build());
        return this;
    }

    /** Reads the call again (as {@link Tenant#call} does), to see what happened since the last action. */
    public Call refresh() {
        detail = tenant.call(sid()).detail();
        return this;
    }

    @Override
    public String toString() {
        // The whole transcript: what a failed assertion about the call needs to show.
        return "Call(" + sid() + ", " + status() + ", waiting for " + waitingFor() + ")"
                + transcriptLines().stream().map(line -> "\n  " + line).collect(Collectors.joining());
    }
}
