package dev.mockingbird.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.mockingbird.v1.ListTenantsRequest;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** A class with a server of its own, started with its own settings: here a control token. */
class OwnServerTest {
    static final String TOKEN = "own-server-token";

    @RegisterExtension
    static MockingbirdExtension mockingbird = MockingbirdExtension.starting(new Mockingbird.Options().token(TOKEN));

    @Test
    void theClassServerSendsItsTokenAndRefusesAClientWithoutIt(Mockingbird server, Tenant tenant) {
        // The tenant was created through the token-carrying channel.
        assertEquals("theClassServerSendsItsTokenAndRefusesAClientWithoutIt(Mockingbird, Tenant)", tenant.label());

        try (Mockingbird intruder = Mockingbird.connect(server.grpcAddress(), "wrong-token")) {
            StatusRuntimeException refused = assertThrows(StatusRuntimeException.class,
                    () -> intruder.stubs().tenants().listTenants(ListTenantsRequest.getDefaultInstance()));
            assertEquals(Status.Code.UNAUTHENTICATED, refused.getStatus().getCode());
        }
    }
}
