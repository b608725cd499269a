package dev.mockingbird.testing;

import dev.mockingbird.v1.ButtonReply;
import dev.mockingbird.v1.GetConversationResponse;
import dev.mockingbird.v1.ListReply;
import dev.mockingbird.v1.SendWhatsAppInboundRequest;
import dev.mockingbird.v1.SendWhatsAppInboundResponse;
import dev.mockingbird.v1.Text;
import java.util.function.Consumer;

/**
 * A user writing to the tenant's WhatsApp business number (the Cloud API): each message is
 * POSTed to the app as Meta's signed webhook, and each call returns once the app has answered.
 */
public final class WhatsAppUser {
    private final Tenant tenant;
    private final String number;
    private final String profileName;

    WhatsAppUser(Tenant tenant, String number, String profileName) {
        this.tenant = tenant;
        this.number = number;
        this.profileName = profileName;
    }

    public String number() {
        return number;
    }

    /** Any message SendWhatsAppInboundRequest has: {@code send(r -> r.setLocation(…))}. */
    public SendWhatsAppInboundResponse send(Consumer<SendWhatsAppInboundRequest.Builder> message) {
        SendWhatsAppInboundRequest.Builder request = SendWhatsAppInboundRequest.newBuilder().setProfileName(profileName);
        message.accept(request);
        return tenant.server().stubs().whatsapp().sendInbound(request
                .setAccountSid(tenant.accountSid()).setFrom(number).build());
    }

    public SendWhatsAppInboundResponse sendText(String body) {
        return send(r -> r.setText(Text.newBuilder().setBody(body)));
    }

    /** Taps a reply button of the app's interactive message. */
    public SendWhatsAppInboundResponse tapButton(String id, String title) {
        return send(r -> r.setButtonReply(ButtonReply.newBuilder().setId(id).setTitle(title)));
    }

    /** Picks a row of the app's list message. */
    public SendWhatsAppInboundResponse pickRow(String id, String title) {
        return send(r -> r.setListReply(ListReply.newBuilder().setId(id).setTitle(title)));
    }

    /** The messages between the business number and this user, both ways, oldest first. */
    public GetConversationResponse conversation() {
        return tenant.whatsappConversation(number);
    }
}
