package mockingbird.sdktests;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * The test's server takes this long between the steps of a message's or call's life ({@code
 * callbacks.delay_seconds}) instead of {@link Mockingbird#STEP_DELAY_SECONDS}: for a test that
 * must act while a call is still queued, without racing the server's clock.
 */
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.METHOD)
@interface StepDelay {
    double seconds();
}
