package dev.mockingbird.testing;

import dev.mockingbird.v1.Event;
import dev.mockingbird.v1.SubscribeRequest;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import java.time.Duration;
import java.util.Iterator;
import java.util.NoSuchElementException;
import java.util.Spliterator;
import java.util.Spliterators;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import java.util.stream.StreamSupport;

/**
 * Events as they happen, from {@code Subscribe}: an {@link Iterator} (and {@link #stream()})
 * whose every read waits at most the query's timeout, then throws {@link EventNotFound}.
 * gRPC delivers into a queue, so an event that arrives after a read gave up is the next read's.
 * Close it (try-with-resources) to cancel the subscription.
 */
public final class EventStream implements Iterator<Event>, AutoCloseable {

    private static final Object END = new Object();

    private final BlockingQueue<Object> arrivals = new LinkedBlockingQueue<>();
    private final Duration timeout;
    private volatile ClientCallStreamObserver<SubscribeRequest> call;
    private Object peeked; // read by hasNext, handed out by next

    EventStream(Stubs stubs, SubscribeRequest request, Duration timeout) {
        this.timeout = timeout;
        stubs.eventsAsync().subscribe(request, new ClientResponseObserver<SubscribeRequest, Event>() {
            @Override
            public void beforeStart(ClientCallStreamObserver<SubscribeRequest> requestStream) {
                call = requestStream;
            }

            @Override
            public void onNext(Event event) {
                arrivals.add(event);
            }

            @Override
            public void onError(Throwable error) {
                // Cancelled is our own close(); anything else is the reader's to see.
                boolean cancelled = Status.fromThrowable(error).getCode() == Status.Code.CANCELLED;
                arrivals.add(cancelled ? END : error);
            }

            @Override
            public void onCompleted() {
                arrivals.add(END);
            }
        });
    }

    /** The next event, waiting up to {@code wait}; {@link EventNotFound} when none came. */
    public Event next(Duration wait) {
        Object item = take(wait);
        peeked = null;
        if (item == END) {
            peeked = END;
            throw new NoSuchElementException("the subscription has ended");
        }
        if (item instanceof StatusRuntimeException) {
            throw (StatusRuntimeException) item;
        }
        if (item instanceof Throwable) {
            throw new IllegalStateException("the subscription failed", (Throwable) item);
        }
        return (Event) item;
    }

    /** The next event, waiting up to the query's timeout. */
    @Override
    public Event next() {
        return next(timeout);
    }

    /** Whether another event comes: waits for one (up to the timeout, then {@link EventNotFound}). */
    @Override
    public boolean hasNext() {
        if (peeked == null) {
            peeked = take(timeout);
        }
        return peeked != END;
    }

    private Object take(Duration wait) {
        if (peeked != null) {
            return peeked;
        }
        try {
            Object item = arrivals.poll(wait.toNanos(), TimeUnit.NANOSECONDS);
            if (item == null) {
                throw new EventNotFound("no event arrived on the subscription within " + wait.toMillis() + " ms");
            }
            return item;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while reading the subscription", e);
        }
    }

    /** The events as a sequential {@link Stream}: {@code stream().filter(…).findFirst()}. */
    public Stream<Event> stream() {
        return StreamSupport.stream(Spliterators.spliteratorUnknownSize(this, Spliterator.ORDERED | Spliterator.NONNULL), false);
    }

    @Override
    public void close() {
        ClientCallStreamObserver<SubscribeRequest> running = call;
        if (running != null) {
            running.cancel("the test closed the subscription", null);
        }
    }
}
