package dev.mockingbird.testing;

import dev.mockingbird.v1.CallsGrpc;
import dev.mockingbird.v1.ClockGrpc;
import dev.mockingbird.v1.EventsGrpc;
import dev.mockingbird.v1.MessagesGrpc;
import dev.mockingbird.v1.NumbersGrpc;
import dev.mockingbird.v1.RulesGrpc;
import dev.mockingbird.v1.TenantsGrpc;
import dev.mockingbird.v1.WhatsAppGrpc;
import io.grpc.Channel;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * The generated stub of each control-plane service, on one channel. Each getter hands out a
 * blocking stub whose calls must finish within {@link #RPC_TIMEOUT}, so that a test never hangs
 * on a server that stopped answering.
 */
public final class Stubs {
    /** Every control-plane call's deadline, unless it waits on purpose (WaitFor takes its own). */
    public static final Duration RPC_TIMEOUT = Duration.ofSeconds(30);

    private final Channel channel;

    Stubs(Channel channel) {
        this.channel = channel;
    }

    /** The channel, for stubs of your own (async ones, say). */
    public Channel channel() {
        return channel;
    }

    public TenantsGrpc.TenantsBlockingStub tenants() {
        return TenantsGrpc.newBlockingStub(channel).withDeadlineAfter(RPC_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
    }

    public NumbersGrpc.NumbersBlockingStub numbers() {
        return NumbersGrpc.newBlockingStub(channel).withDeadlineAfter(RPC_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
    }

    public RulesGrpc.RulesBlockingStub rules() {
        return RulesGrpc.newBlockingStub(channel).withDeadlineAfter(RPC_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
    }

    public ClockGrpc.ClockBlockingStub clock() {
        return ClockGrpc.newBlockingStub(channel).withDeadlineAfter(RPC_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
    }

    public MessagesGrpc.MessagesBlockingStub messages() {
        return MessagesGrpc.newBlockingStub(channel).withDeadlineAfter(RPC_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
    }

    public WhatsAppGrpc.WhatsAppBlockingStub whatsapp() {
        return WhatsAppGrpc.newBlockingStub(channel).withDeadlineAfter(RPC_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
    }

    public CallsGrpc.CallsBlockingStub calls() {
        return CallsGrpc.newBlockingStub(channel).withDeadlineAfter(RPC_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** Events without a deadline of their own: WaitFor and Subscribe set theirs per call. */
    public EventsGrpc.EventsBlockingStub events() {
        return EventsGrpc.newBlockingStub(channel);
    }

    public EventsGrpc.EventsStub eventsAsync() {
        return EventsGrpc.newStub(channel);
    }
}
