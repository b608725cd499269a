package dev.mockingbird.testing;

import com.twilio.http.TwilioRestClient;
import dev.mockingbird.v1.AddNumberRequest;
import dev.mockingbird.v1.AddRuleRequest;
import dev.mockingbird.v1.AdvanceRequest;
import dev.mockingbird.v1.CallbackAttempt;
import dev.mockingbird.v1.ClearRulesRequest;
import dev.mockingbird.v1.ClockState;
import dev.mockingbird.v1.DeleteTenantRequest;
import dev.mockingbird.v1.Event;
import dev.mockingbird.v1.FreezeRequest;
import dev.mockingbird.v1.GetCallRequest;
import dev.mockingbird.v1.GetClockRequest;
import dev.mockingbird.v1.GetConversationRequest;
import dev.mockingbird.v1.GetConversationResponse;
import dev.mockingbird.v1.GetMessageRequest;
import dev.mockingbird.v1.GetWhatsAppSettingsRequest;
import dev.mockingbird.v1.ListCallbackAttemptsRequest;
import dev.mockingbird.v1.ListCallsRequest;
import dev.mockingbird.v1.ListMessagesRequest;
import dev.mockingbird.v1.ListNumbersRequest;
import dev.mockingbird.v1.ListRulesRequest;
import dev.mockingbird.v1.Message;
import dev.mockingbird.v1.PhoneNumber;
import dev.mockingbird.v1.PlaceInboundCallRequest;
import dev.mockingbird.v1.RedeliverCallbackRequest;
import dev.mockingbird.v1.RemoveNumberRequest;
import dev.mockingbird.v1.ReplaceRulesRequest;
import dev.mockingbird.v1.ResetTenantRequest;
import dev.mockingbird.v1.ResumeRequest;
import dev.mockingbird.v1.Rule;
import dev.mockingbird.v1.SendInboundRequest;
import dev.mockingbird.v1.SendInboundResponse;
import dev.mockingbird.v1.SetMessageStatusRequest;
import dev.mockingbird.v1.SubscribeRequest;
import dev.mockingbird.v1.UpdateNumberRequest;
import dev.mockingbird.v1.UpdateWhatsAppSettingsRequest;
import dev.mockingbird.v1.UpdateWhatsAppSettingsResponse;
import dev.mockingbird.v1.VerifyWebhookRequest;
import dev.mockingbird.v1.VerifyWebhookResponse;
import dev.mockingbird.v1.WaitForRequest;
import dev.mockingbird.v1.WhatsAppIdentity;
import dev.mockingbird.v1.WhatsAppSettings;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.stream.Collectors;

/**
 * One Twilio account and WhatsApp business of its own, with everything a test does to it:
 * numbers, rules, the clock, simulated users and callers, and waiting for events. Closing it
 * deletes it (the {@link MockingbirdExtension} does that after each test).
 */
public final class Tenant implements AutoCloseable {

    /** The Graph API version apps put in Cloud API URLs; mockingbird answers any. */
    public static final String GRAPH_VERSION = "v23.0";

    /** Extra time WaitFor's gRPC deadline gets beyond the wait, so the server's explanation arrives first. */
    private static final Duration DEADLINE_MARGIN = Duration.ofSeconds(5);

    private final Mockingbird server;
    private final dev.mockingbird.v1.Tenant proto;
    private final boolean owned;
    private final Numbers numbers = new Numbers();
    private final RuleSet rules = new RuleSet();
    private final Clock clock = new Clock();
    private final Messages messages = new Messages();
    private final List<MockingbirdHttpClient> httpClients = new CopyOnWriteArrayList<>();

    Tenant(Mockingbird server, dev.mockingbird.v1.Tenant proto, boolean owned) {
        this.server = server;
        this.proto = proto;
        this.owned = owned;
    }

    // ---- what the app needs ------------------------------------------------------------------

    public String accountSid() {
        return proto.getAccountSid();
    }

    public String authToken() {
        return proto.getAuthToken();
    }

    public String apiKeySid() {
        return proto.getApiKeySid();
    }

    public String apiKeySecret() {
        return proto.getApiKeySecret();
    }

    public String label() {
        return proto.getLabel();
    }

    /** phone number id, access token, app secret, verify token, business account id: what a Cloud API app configures. */
    public WhatsAppIdentity whatsapp() {
        return proto.getWhatsapp();
    }

    /** The tenant as the control plane returned it. */
    public dev.mockingbird.v1.Tenant proto() {
        return proto;
    }

    public Mockingbird server() {
        return server;
    }

    /** Where apps reach the Twilio API: {@code http://127.0.0.1:PORT}. */
    public String httpUrl() {
        return server.httpUrl();
    }

    /** The Graph API base a Cloud API app uses instead of {@code https://graph.facebook.com/v23.0}. */
    public String graphUrl() {
        return httpUrl() + "/" + GRAPH_VERSION;
    }

    /** Where the app POSTs Cloud API messages, as this tenant's business number. */
    public String cloudApiMessagesUrl() {
        return graphUrl() + "/" + whatsapp().getPhoneNumberId() + "/messages";
    }

    /**
     * The official {@link TwilioRestClient}, authenticated as this tenant with its auth token,
     * sending every request to mockingbird ({@link MockingbirdHttpClient}).
     */
    public TwilioRestClient twilioClient() {
        return remember(MockingbirdHttpClient.twilioClient(httpUrl(), accountSid(), authToken(), accountSid()));
    }

    /** The same, authenticated with the tenant's API key ({@code SK…} and its secret). */
    public TwilioRestClient twilioClientWithApiKey() {
        return remember(MockingbirdHttpClient.twilioClient(httpUrl(), apiKeySid(), apiKeySecret(), accountSid()));
    }

    /**
     * The same with other credentials, acting on {@code accountSid}: a subaccount's, an API key
     * the app created, a wrong token. Closed with the tenant like the others.
     */
    public TwilioRestClient twilioClient(String username, String password, String accountSid) {
        return remember(MockingbirdHttpClient.twilioClient(httpUrl(), username, password, accountSid));
    }

    /** Keeps the client's connection pool, to close it with the tenant. */
    private TwilioRestClient remember(TwilioRestClient client) {
        httpClients.add(MockingbirdHttpClient.of(client));
        return client;
    }

    public Numbers numbers() {
        return numbers;
    }

    public RuleSet rules() {
        return rules;
    }

    public Clock clock() {
        return clock;
    }

    public Messages messages() {
        return messages;
    }

    // ---- simulated users and callers ---------------------------------------------------------

    /**
     * A user texts one of the tenant's numbers: the app gets its signed webhook, and the TwiML
     * replies come back in {@code getRepliesList()}. {@code from} {@code whatsapp:+…} writes on
     * Twilio's WhatsApp channel.
     */
    public SendInboundResponse inboundSms(String from, String to, String body) {
        return inboundSms(from, to, body, request -> {});
    }

    /** The same, with more of {@code SendInboundRequest} ({@code r -> r.setProfileName("Ada")}). */
    public SendInboundResponse inboundSms(String from, String to, String body, Consumer<SendInboundRequest.Builder> more) {
        SendInboundRequest.Builder request = SendInboundRequest.newBuilder().setFrom(from).setTo(to).setBody(body);
        more.accept(request);
        return server.stubs().messages().sendInbound(request.setAccountSid(accountSid()).build());
    }

    /** A WhatsApp user (Cloud API) writing to the tenant's business number. */
    public WhatsAppUser whatsappUser(String number, String profileName) {
        return new WhatsAppUser(this, number, profileName);
    }

    /** Where the Cloud API's message and status webhooks go ({@code ""} removes it). */
    public UpdateWhatsAppSettingsResponse setWhatsAppWebhook(String url) {
        return updateWhatsAppSettings(r -> r.setWebhookUrl(url));
    }

    /** The Cloud API settings as they are: identity, webhook URL, window policy, allow list, templates. */
    public WhatsAppSettings whatsappSettings() {
        return server.stubs().whatsapp().getSettings(GetWhatsAppSettingsRequest.newBuilder().setAccountSid(accountSid()).build());
    }

    /** Changes the fields set: {@code updateWhatsAppSettings(r -> r.setWindow(…).setVerifyWebhook(true))}. */
    public UpdateWhatsAppSettingsResponse updateWhatsAppSettings(Consumer<UpdateWhatsAppSettingsRequest.Builder> change) {
        UpdateWhatsAppSettingsRequest.Builder request = UpdateWhatsAppSettingsRequest.newBuilder();
        change.accept(request);
        return server.stubs().whatsapp().updateSettings(request.setAccountSid(accountSid()).build());
    }

    /**
     * Meta's verification handshake (a GET with {@code hub.challenge}) against {@code url}, or
     * the tenant's webhook URL when null; {@code getEchoed()} says whether the app passed.
     */
    public VerifyWebhookResponse verifyWhatsAppWebhook(String url) {
        VerifyWebhookRequest.Builder request = VerifyWebhookRequest.newBuilder().setAccountSid(accountSid());
        if (url != null) {
            request.setUrl(url);
        }
        return server.stubs().whatsapp().verifyWebhook(request.build());
    }

    /** The Cloud API messages between the business number and {@code user} (number or BSUID), both ways, oldest first. */
    public GetConversationResponse whatsappConversation(String user) {
        return server.stubs().whatsapp().getConversation(GetConversationRequest.newBuilder()
                .setAccountSid(accountSid()).setUser(user).build());
    }

    /**
     * A caller dials one of the tenant's numbers: its VoiceUrl's TwiML runs as far as it can (to
     * a {@code <Gather>}, say) before this returns.
     */
    public Call placeCall(String from, String to) {
        return new Call(this, server.stubs().calls().placeInboundCall(PlaceInboundCallRequest.newBuilder()
                .setAccountSid(accountSid()).setFrom(from).setTo(to).build()));
    }

    /** The tenant's calls, newest first, narrowed as asked: {@code calls(r -> r.setTo(USER).setStatus(…))}. */
    public List<dev.mockingbird.v1.Call> calls(Consumer<ListCallsRequest.Builder> criteria) {
        ListCallsRequest.Builder request = ListCallsRequest.newBuilder();
        criteria.accept(request);
        return server.stubs().calls().listCalls(request.setAccountSid(accountSid()).build()).getCallsList();
    }

    /** A call by its SID (one the app placed, say), to answer, reject or act on. */
    public Call call(String sid) {
        return new Call(this, server.stubs().calls().getCall(GetCallRequest.newBuilder()
                .setAccountSid(accountSid()).setSid(sid).build()));
    }

    // ---- events ------------------------------------------------------------------------------

    /**
     * The first of this tenant's events matching {@code query}, waiting up to its timeout.
     * Throws {@link EventNotFound} (an AssertionError) whose message is the server's
     * explanation: the nearest events and what each got wrong.
     */
    public Event waitFor(EventQuery query) {
        WaitForRequest request = WaitForRequest.newBuilder()
                .setFilter(query.filterFor(accountSid()))
                .setAfterSequence(query.after)
                .setTimeout(Rules.duration(query.timeout))
                .build();
        try {
            return server.stubs().events()
                    .withDeadlineAfter(query.timeout.plus(DEADLINE_MARGIN).toMillis(), TimeUnit.MILLISECONDS)
                    .waitFor(request);
        } catch (StatusRuntimeException e) {
            if (e.getStatus().getCode() == Status.Code.DEADLINE_EXCEEDED) {
                String explanation = e.getStatus().getDescription();
                throw new EventNotFound(explanation != null ? explanation
                        : "no event matched within " + query.timeout.toMillis() + " ms");
            }
            throw e;
        }
    }

    /** Shorthand: {@code waitFor("message_status_changed", q -> q.sid(sid).status("delivered"))}. */
    public Event waitFor(String kind, Consumer<EventQuery> criteria) {
        EventQuery query = EventQuery.of(kind);
        criteria.accept(query);
        return waitFor(query);
    }

    /**
     * This tenant's events matching {@code query}, stored ones (after {@code query.after}) then
     * live ones. Each read waits up to the query's timeout. Close it to unsubscribe.
     */
    public EventStream subscribe(EventQuery query) {
        return subscribe(query, false);
    }

    /** The same; {@code liveOnly} skips the events stored before the call. */
    public EventStream subscribe(EventQuery query, boolean liveOnly) {
        SubscribeRequest request = SubscribeRequest.newBuilder()
                .setFilter(query.filterFor(accountSid()))
                .setAfterSequence(query.after)
                .setLiveOnly(liveOnly)
                .build();
        return new EventStream(server.stubs(), request, query.timeout);
    }

    // ---- lifetime ----------------------------------------------------------------------------

    /** Drops the tenant's data and rules (keeping credentials and numbers); returns the reset event's sequence. */
    public long reset() {
        return server.stubs().tenants().resetTenant(ResetTenantRequest.newBuilder().setAccountSid(accountSid()).build()).getSequence();
    }

    /** Deletes the tenant and everything it owns; its credentials stop working. */
    public void delete() {
        try {
            server.stubs().tenants().deleteTenant(DeleteTenantRequest.newBuilder().setAccountSid(accountSid()).build());
        } catch (StatusRuntimeException e) {
            if (e.getStatus().getCode() != Status.Code.NOT_FOUND) { // already gone is what we wanted
                throw e;
            }
        }
    }

    /**
     * Closes the SDK clients made by {@link #twilioClient()}, and deletes a tenant made by
     * {@link Mockingbird#tenant}; the default one stays.
     */
    @Override
    public void close() {
        httpClients.forEach(MockingbirdHttpClient::close);
        httpClients.clear();
        if (owned) {
            delete();
        }
    }

    @Override
    public String toString() {
        return "Tenant(" + accountSid() + ", " + label() + ")";
    }

    // ---- the controls ------------------------------------------------------------------------

    /** The tenant's phone numbers: senders its app may use, and where traffic to them goes. */
    public final class Numbers {
        private Numbers() {}

        /** Gives the tenant a number (E.164). */
        public PhoneNumber add(String phoneNumber) {
            return add(phoneNumber, n -> {});
        }

        /** With its webhooks: {@code add(NUMBER, n -> n.setSmsUrl(app.url("/sms")))}. */
        public PhoneNumber add(String phoneNumber, Consumer<AddNumberRequest.Builder> more) {
            AddNumberRequest.Builder request = AddNumberRequest.newBuilder().setPhoneNumber(phoneNumber);
            more.accept(request);
            return server.stubs().numbers().addNumber(request.setAccountSid(accountSid()).build());
        }

        /** Changes what is set ({@code n -> n.setVoiceUrl(…)}; an empty URL removes it), by number or {@code PN…} SID. */
        public PhoneNumber update(String number, Consumer<UpdateNumberRequest.Builder> change) {
            UpdateNumberRequest.Builder request = UpdateNumberRequest.newBuilder().setNumber(number);
            change.accept(request);
            return server.stubs().numbers().updateNumber(request.setAccountSid(accountSid()).build());
        }

        public List<PhoneNumber> list() {
            return server.stubs().numbers().listNumbers(ListNumbersRequest.newBuilder().setAccountSid(accountSid()).build()).getNumbersList();
        }

        public void remove(String phoneNumber) {
            server.stubs().numbers().removeNumber(RemoveNumberRequest.newBuilder().setAccountSid(accountSid()).setNumber(phoneNumber).build());
        }
    }

    /** The tenant's rules, tried in order before its default behaviour. */
    public final class RuleSet {
        private RuleSet() {}

        public Rule add(Rules.Builder rule) {
            return add(rule.build());
        }

        public Rule add(Rule rule) {
            return server.stubs().rules().addRule(AddRuleRequest.newBuilder().setAccountSid(accountSid()).setRule(rule).build());
        }

        public List<Rule> replace(Rules.Builder... rules) {
            List<Rule> built = Arrays.stream(rules).map(Rules.Builder::build).collect(Collectors.toList());
            return server.stubs().rules().replaceRules(ReplaceRulesRequest.newBuilder()
                    .setAccountSid(accountSid()).addAllRules(built).build()).getRulesList();
        }

        public List<Rule> list() {
            return server.stubs().rules().listRules(ListRulesRequest.newBuilder().setAccountSid(accountSid()).build()).getRulesList();
        }

        public void clear() {
            server.stubs().rules().clearRules(ClearRulesRequest.newBuilder().setAccountSid(accountSid()).build());
        }
    }

    /** The tenant's clock: frozen, it moves only when advanced, and everything due runs then. */
    public final class Clock {
        private Clock() {}

        public ClockState freeze() {
            return server.stubs().clock().freeze(FreezeRequest.newBuilder().setAccountSid(accountSid()).build());
        }

        /** Moves the clock on; returns once everything due before the new time has run. */
        public ClockState advance(Duration by) {
            return server.stubs().clock().advance(AdvanceRequest.newBuilder().setAccountSid(accountSid()).setBy(Rules.duration(by)).build());
        }

        public ClockState resume() {
            return server.stubs().clock().resume(ResumeRequest.newBuilder().setAccountSid(accountSid()).build());
        }

        public ClockState state() {
            return server.stubs().clock().getClock(GetClockRequest.newBuilder().setAccountSid(accountSid()).build());
        }
    }

    /** The tenant's messages as the server stores them. */
    public final class Messages {
        private Messages() {}

        /** Newest first; {@code to} and {@code from} narrow it when not empty. */
        public List<Message> list(String to, String from) {
            return server.stubs().messages().listMessages(ListMessagesRequest.newBuilder()
                    .setAccountSid(accountSid()).setTo(to).setFrom(from).build()).getMessagesList();
        }

        public Message get(String sid) {
            return server.stubs().messages().getMessage(GetMessageRequest.newBuilder().setAccountSid(accountSid()).setSid(sid).build());
        }

        /** Webhook attempts (status callbacks, incoming-message webhooks) about this resource, newest first. */
        public List<CallbackAttempt> callbackAttempts(String resourceSid) {
            return server.stubs().messages().listCallbackAttempts(ListCallbackAttemptsRequest.newBuilder()
                    .setAccountSid(accountSid()).setResourceSid(resourceSid).build()).getAttemptsList();
        }

        /**
         * Moves a message to a status by hand ({@code delivered}, as Twilio writes it), as the
         * carrier would; its status callback goes to the app.
         */
        public Message setStatus(String sid, String status) {
            return setStatus(sid, status, 0);
        }

        /** The same with Twilio's error code, for {@code failed} or {@code undelivered} (30003, say). */
        public Message setStatus(String sid, String status, int errorCode) {
            return server.stubs().messages().setMessageStatus(SetMessageStatusRequest.newBuilder()
                    .setAccountSid(accountSid()).setSid(sid).setStatus(Names.messageStatus(status)).setErrorCode(errorCode).build());
        }

        /**
         * Sends a recorded webhook attempt ({@link CallbackAttempt#getId()}) again, now, signed
         * anew; returns the new attempt with the app's answer. No retries follow.
         */
        public CallbackAttempt redeliver(long attemptId) {
            return server.stubs().messages().redeliverCallback(RedeliverCallbackRequest.newBuilder()
                    .setAccountSid(accountSid()).setAttemptId(attemptId).build());
        }
    }
}
