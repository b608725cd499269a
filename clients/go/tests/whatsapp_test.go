package tests

import (
	"bytes"
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/mockingbird/mockingbird/clients/go/mbtest"
)

const waUser = "263778177125" // the user's WhatsApp number (wa_id)

// envelope is the part of Meta's webhook body the test reads.
type envelope struct {
	Entry []struct {
		Changes []struct {
			Value struct {
				Metadata struct {
					PhoneNumberID string `json:"phone_number_id"`
				} `json:"metadata"`
				Messages []struct {
					Text struct{ Body string } `json:"text"`
				} `json:"messages"`
				Statuses []struct {
					ID          string `json:"id"`
					Status      string `json:"status"`
					RecipientID string `json:"recipient_id"`
				} `json:"statuses"`
			} `json:"value"`
		} `json:"changes"`
	} `json:"entry"`
}

func decode(t *testing.T, request mbtest.Request) envelope {
	t.Helper()
	var e envelope
	if err := json.Unmarshal(request.Body, &e); err != nil {
		t.Fatalf("webhook body %q: %v", request.Body, err)
	}
	return e
}

// statusesOf is the statuses reported about message wamid, in the order they arrived.
func statusesOf(t *testing.T, requests []mbtest.Request, wamid string) []string {
	var seen []string
	for _, request := range requests {
		for _, entry := range decode(t, request).Entry {
			for _, change := range entry.Changes {
				for _, status := range change.Value.Statuses {
					if status.ID == wamid && status.RecipientID == waUser {
						seen = append(seen, status.Status)
					}
				}
			}
		}
	}
	return seen
}

func TestAWhatsAppMessageAndTheAppsReplyComeWithSignedWebhooks(t *testing.T) {
	tenant := mbtest.Tenant(t)
	app := mbtest.NewReceiver(t)
	tenant.SetWhatsAppWebhook(app.URL("/whatsapp"))
	tenant.Clock.Freeze()
	user := tenant.WhatsAppUser(waUser, "Tendai")

	// The user writes: the app receives Meta's envelope, signed with the app secret.
	sent := user.SendText("Where is my order?")
	if sent.HttpStatus != 200 {
		t.Fatalf("the app answered %d", sent.HttpStatus)
	}
	inbound := app.WaitForRequest("/whatsapp")
	if !inbound.MetaSignatureValid(tenant.Whatsapp.AppSecret) || inbound.MetaSignatureValid("another-secret") {
		t.Fatal("X-Hub-Signature-256 does not check out with the tenant's app secret alone")
	}
	value := decode(t, inbound).Entry[0].Changes[0].Value
	if value.Metadata.PhoneNumberID != tenant.Whatsapp.PhoneNumberId || value.Messages[0].Text.Body != "Where is my order?" {
		t.Fatalf("webhook %s", inbound.Body)
	}

	// The app answers through the Cloud API, as this tenant's business number.
	body, _ := json.Marshal(map[string]any{"messaging_product": "whatsapp", "to": waUser, "type": "text", "text": map[string]string{"body": "On its way"}})
	request, _ := http.NewRequest(http.MethodPost, tenant.CloudAPIMessagesURL(), bytes.NewReader(body))
	request.Header.Set("Authorization", "Bearer "+tenant.Whatsapp.AccessToken)
	request.Header.Set("Content-Type", "application/json")
	response, err := (&http.Client{Timeout: 10 * time.Second}).Do(request)
	if err != nil {
		t.Fatal(err)
	}
	defer response.Body.Close()
	var answer struct{ Messages []struct{ ID string } }
	if err := json.NewDecoder(response.Body).Decode(&answer); err != nil || response.StatusCode != 200 || len(answer.Messages) != 1 {
		t.Fatalf("Cloud API answered %d: %+v, %v", response.StatusCode, answer, err)
	}
	wamid := answer.Messages[0].ID
	created := tenant.WaitFor(mbtest.Kind("message_created"), mbtest.After(sent.AfterSequence), mbtest.To(waUser), mbtest.WhatsAppTypes("text"))
	if created.GetMessageCreated().Message.Sid != wamid {
		t.Fatalf("message_created %v, want %s", created, wamid)
	}

	// Time passes: sent and delivered status webhooks, each signed.
	tenant.Clock.Advance(10 * time.Second)
	tenant.WaitFor(mbtest.Kind("message_status_changed"), mbtest.SID(wamid), mbtest.Status("delivered"))
	seen := app.WaitFor(func(got []mbtest.Request) bool { return len(statusesOf(t, got, wamid)) >= 2 })
	if got := statusesOf(t, seen, wamid); got[0] != "sent" || got[1] != "delivered" {
		t.Fatalf("statuses %v, want sent then delivered", got)
	}
	for _, request := range seen {
		if !request.MetaSignatureValid(tenant.Whatsapp.AppSecret) {
			t.Fatalf("an unsigned webhook: %s", request.Body)
		}
	}

	if conversation := user.Conversation(); len(conversation) != 2 {
		t.Fatalf("conversation %v, want the user's message and the reply", conversation)
	}
}
