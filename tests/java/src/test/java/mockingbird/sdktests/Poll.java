package mockingbird.sdktests;

import java.time.Duration;
import java.util.function.Predicate;
import java.util.function.Supplier;

/** Polling with a deadline, for state that can only be asked for (there is nothing to wake on). */
final class Poll {
    static final Duration INTERVAL = Duration.ofMillis(50);

    private Poll() {
    }

    /**
     * Calls {@code probe} until {@code done} holds for its value and returns that value; fails
     * after {@code timeout}, showing the last value. An exception thrown by {@code probe} or
     * {@code done} ends the wait at once.
     */
    static <T> T until(Duration timeout, String what, Supplier<T> probe, Predicate<? super T> done)
            throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        for (;;) {
            T value = probe.get();
            if (done.test(value)) {
                return value;
            }
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                throw new AssertionError("timed out after " + timeout.toMillis() + " ms waiting for "
                        + what + " (last value: " + value + ")");
            }
            Thread.sleep(Math.max(1, Math.min(INTERVAL.toMillis(), left / 1_000_000)));
        }
    }
}
