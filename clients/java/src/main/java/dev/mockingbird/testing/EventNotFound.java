package dev.mockingbird.testing;

/**
 * No event matched in time. For {@link Tenant#waitFor} the message is the server's own: the
 * nearest events and what each got wrong. An {@link AssertionError}, so a test fails with it.
 */
public final class EventNotFound extends AssertionError {
    private static final long serialVersionUID = 1L;

    EventNotFound(String message) {
        super(message);
    }
}
