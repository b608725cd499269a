package mbtest

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/mockingbird/mockingbird/clients/go/mbtest/rules"
	mbv1 "github.com/mockingbird/mockingbird/clients/go/mockingbirdv1"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/durationpb"
)

// GraphVersion is the Graph API version in the Cloud API URLs this package builds; mockingbird answers any.
const GraphVersion = "v23.0"

// TenantHandle is one test's tenant: a Twilio account and WhatsApp business of its own, with
// everything a test does to it. Its methods fail the test (t.Fatalf) when the server refuses,
// so call them from the test's goroutine.
type TenantHandle struct {
	*mbv1.Tenant // AccountSid, AuthToken, ApiKeySid, ApiKeySecret, Label, Whatsapp (the generated message)

	Server   *Server
	Numbers  Numbers
	Rules    Rules
	Clock    Clock
	Messages Messages

	t testing.TB
}

// Tenant creates a tenant on the shared server (see Main) for this test, deleted when the test ends.
func Tenant(t testing.TB) *TenantHandle {
	t.Helper()
	return Shared(t).Tenant(t)
}

// Tenant creates a tenant on this server for the test, deleted when it ends. When the test
// fails, the server's log lines about the tenant join the test's log.
func (s *Server) Tenant(t testing.TB) *TenantHandle {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), RPCTimeout)
	defer cancel()
	created, err := s.Stubs.Tenants.CreateTenant(ctx, &mbv1.CreateTenantRequest{Label: t.Name()})
	if err != nil {
		t.Fatalf("mbtest: creating a tenant: %v", err)
	}
	tenant := s.handle(t, created)
	t.Cleanup(func() {
		if t.Failed() {
			if lines := s.linesAbout(created.AccountSid); lines != "" {
				t.Logf("--- mockingbird's log about %s ---\n%s", created.AccountSid, lines)
			}
		}
		ctx, cancel := context.WithTimeout(context.Background(), RPCTimeout)
		defer cancel()
		_, err := s.Stubs.Tenants.DeleteTenant(ctx, &mbv1.DeleteTenantRequest{AccountSid: created.AccountSid})
		if err != nil && status.Code(err) != codes.NotFound { // already gone is what we wanted
			t.Errorf("mbtest: deleting tenant %s: %v", created.AccountSid, err)
		}
	})
	return tenant
}

// Account is a handle on an account the server already has (the config file's, say), to act on
// as on a tenant; unlike Tenant's, it is not deleted when the test ends.
func (s *Server) Account(t testing.TB, accountSid string) *TenantHandle {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), RPCTimeout)
	defer cancel()
	found, err := s.Stubs.Tenants.GetTenant(ctx, &mbv1.GetTenantRequest{AccountSid: accountSid})
	if err != nil {
		t.Fatalf("mbtest: getting account %s: %v", accountSid, err)
	}
	return s.handle(t, found)
}

// Tenants are handles on every account the server has, oldest first, the config file's among
// them; as with Account, none is deleted when the test ends.
func (s *Server) Tenants(t testing.TB) []*TenantHandle {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), RPCTimeout)
	defer cancel()
	listed, err := s.Stubs.Tenants.ListTenants(ctx, &mbv1.ListTenantsRequest{})
	if err != nil {
		t.Fatalf("mbtest: listing tenants: %v", err)
	}
	handles := make([]*TenantHandle, len(listed.Tenants))
	for i, tenant := range listed.Tenants {
		handles[i] = s.handle(t, tenant)
	}
	return handles
}

func (s *Server) handle(t testing.TB, tenant *mbv1.Tenant) *TenantHandle {
	handle := &TenantHandle{Tenant: tenant, Server: s, t: t}
	handle.Numbers = Numbers{handle}
	handle.Rules = Rules{handle}
	handle.Clock = Clock{handle}
	handle.Messages = Messages{handle}
	return handle
}

func (s *Server) linesAbout(accountSid string) string {
	var about []string
	for _, line := range strings.Split(s.Log(), "\n") {
		if strings.Contains(line, accountSid) {
			about = append(about, line)
		}
	}
	return strings.Join(about, "\n")
}

// ctx is a context for one control-plane call.
func (tn *TenantHandle) ctx() (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), RPCTimeout)
}

// check fails the test when a control-plane call failed.
func (tn *TenantHandle) check(what string, err error) {
	tn.t.Helper()
	if err != nil {
		tn.t.Fatalf("mbtest: %s: %v", what, err)
	}
}

// HTTPURL is the server's HTTP address, where the app's Twilio and Cloud API calls go.
func (tn *TenantHandle) HTTPURL() string {
	tn.t.Helper()
	if tn.Server.HTTPURL == "" {
		tn.t.Fatalf("mbtest: the server's HTTP address is unknown: connect with MOCKINGBIRD_READY_FILE")
	}
	return tn.Server.HTTPURL
}

// GraphURL is the Graph API base a Cloud API app uses instead of https://graph.facebook.com/v23.0.
func (tn *TenantHandle) GraphURL() string { return tn.HTTPURL() + "/" + GraphVersion }

// CloudAPIMessagesURL is where the app POSTs Cloud API messages, as this tenant's business number.
func (tn *TenantHandle) CloudAPIMessagesURL() string {
	return tn.GraphURL() + "/" + tn.Whatsapp.PhoneNumberId + "/messages"
}

// ---- numbers --------------------------------------------------------------------------------

// Numbers are the tenant's phone numbers: senders its app may use, and where traffic to them goes.
type Numbers struct{ tn *TenantHandle }

// Add gives the tenant a number (E.164); the request's other fields (SmsUrl, VoiceUrl, …) as given.
// Add("+15550101010") or Add("+1555…", func(r *mbv1.AddNumberRequest) { r.SmsUrl = url }).
func (n Numbers) Add(number string, with ...func(*mbv1.AddNumberRequest)) *mbv1.PhoneNumber {
	n.tn.t.Helper()
	request := &mbv1.AddNumberRequest{AccountSid: n.tn.AccountSid, PhoneNumber: number}
	for _, f := range with {
		f(request)
	}
	ctx, cancel := n.tn.ctx()
	defer cancel()
	added, err := n.tn.Server.Stubs.Numbers.AddNumber(ctx, request)
	n.tn.check("adding number "+number, err)
	return added
}

// SMSURL sets a number's incoming-message webhook (for Numbers.Add).
func SMSURL(url string) func(*mbv1.AddNumberRequest) {
	return func(r *mbv1.AddNumberRequest) { r.SmsUrl = url }
}

// VoiceURL sets a number's incoming-call webhook (for Numbers.Add).
func VoiceURL(url string) func(*mbv1.AddNumberRequest) {
	return func(r *mbv1.AddNumberRequest) { r.VoiceUrl = url }
}

// Update changes a number's webhooks: the fields edit sets (SmsUrl, VoiceUrl, …); unset ones keep their values.
func (n Numbers) Update(number string, edit func(*mbv1.UpdateNumberRequest)) *mbv1.PhoneNumber {
	n.tn.t.Helper()
	request := &mbv1.UpdateNumberRequest{AccountSid: n.tn.AccountSid, Number: number}
	edit(request)
	ctx, cancel := n.tn.ctx()
	defer cancel()
	updated, err := n.tn.Server.Stubs.Numbers.UpdateNumber(ctx, request)
	n.tn.check("updating number "+number, err)
	return updated
}

// List is the tenant's numbers.
func (n Numbers) List() []*mbv1.PhoneNumber {
	n.tn.t.Helper()
	ctx, cancel := n.tn.ctx()
	defer cancel()
	listed, err := n.tn.Server.Stubs.Numbers.ListNumbers(ctx, &mbv1.ListNumbersRequest{AccountSid: n.tn.AccountSid})
	n.tn.check("listing numbers", err)
	return listed.Numbers
}

// Remove takes a number away from the tenant.
func (n Numbers) Remove(number string) {
	n.tn.t.Helper()
	ctx, cancel := n.tn.ctx()
	defer cancel()
	_, err := n.tn.Server.Stubs.Numbers.RemoveNumber(ctx, &mbv1.RemoveNumberRequest{AccountSid: n.tn.AccountSid, Number: number})
	n.tn.check("removing number "+number, err)
}

// ---- rules ----------------------------------------------------------------------------------

// Rules say what happens to the messages and calls the tenant's app sends: the first match wins.
type Rules struct{ tn *TenantHandle }

// Add appends a rule from the rules package: Add(rules.To(user).Reject(21610)).
func (r Rules) Add(rule rules.Rule) *mbv1.Rule {
	r.tn.t.Helper()
	ctx, cancel := r.tn.ctx()
	defer cancel()
	added, err := r.tn.Server.Stubs.Rules.AddRule(ctx, &mbv1.AddRuleRequest{AccountSid: r.tn.AccountSid, Rule: rule.Build()})
	r.tn.check("adding a rule", err)
	return added
}

// Replace sets the tenant's rules to these, in matching order.
func (r Rules) Replace(all ...rules.Rule) []*mbv1.Rule {
	r.tn.t.Helper()
	built := make([]*mbv1.Rule, len(all))
	for i, rule := range all {
		built[i] = rule.Build()
	}
	ctx, cancel := r.tn.ctx()
	defer cancel()
	replaced, err := r.tn.Server.Stubs.Rules.ReplaceRules(ctx, &mbv1.ReplaceRulesRequest{AccountSid: r.tn.AccountSid, Rules: built})
	r.tn.check("replacing rules", err)
	return replaced.Rules
}

// Clear removes every rule.
func (r Rules) Clear() {
	r.tn.t.Helper()
	ctx, cancel := r.tn.ctx()
	defer cancel()
	_, err := r.tn.Server.Stubs.Rules.ClearRules(ctx, &mbv1.ClearRulesRequest{AccountSid: r.tn.AccountSid})
	r.tn.check("clearing rules", err)
}

// List is the tenant's rules, in matching order.
func (r Rules) List() []*mbv1.Rule {
	r.tn.t.Helper()
	ctx, cancel := r.tn.ctx()
	defer cancel()
	listed, err := r.tn.Server.Stubs.Rules.ListRules(ctx, &mbv1.ListRulesRequest{AccountSid: r.tn.AccountSid})
	r.tn.check("listing rules", err)
	return listed.Rules
}

// ---- the clock ------------------------------------------------------------------------------

// Clock is the tenant's time. Frozen, it moves only on Advance, which runs everything that falls
// due (status changes, callbacks, retries) before it returns: no sleeping in tests.
type Clock struct{ tn *TenantHandle }

// Freeze stops the tenant's clock.
func (c Clock) Freeze() *mbv1.ClockState {
	c.tn.t.Helper()
	ctx, cancel := c.tn.ctx()
	defer cancel()
	state, err := c.tn.Server.Stubs.Clock.Freeze(ctx, &mbv1.FreezeRequest{AccountSid: c.tn.AccountSid})
	c.tn.check("freezing the clock", err)
	return state
}

// Advance moves a frozen clock forward, running what falls due on the way.
func (c Clock) Advance(by time.Duration) *mbv1.ClockState {
	c.tn.t.Helper()
	ctx, cancel := c.tn.ctx()
	defer cancel()
	state, err := c.tn.Server.Stubs.Clock.Advance(ctx, &mbv1.AdvanceRequest{AccountSid: c.tn.AccountSid, By: durationpb.New(by)})
	c.tn.check("advancing the clock", err)
	return state
}

// Resume lets the clock run with real time again.
func (c Clock) Resume() *mbv1.ClockState {
	c.tn.t.Helper()
	ctx, cancel := c.tn.ctx()
	defer cancel()
	state, err := c.tn.Server.Stubs.Clock.Resume(ctx, &mbv1.ResumeRequest{AccountSid: c.tn.AccountSid})
	c.tn.check("resuming the clock", err)
	return state
}

// State is the clock's time, whether it is frozen, and how many jobs wait on it.
func (c Clock) State() *mbv1.ClockState {
	c.tn.t.Helper()
	ctx, cancel := c.tn.ctx()
	defer cancel()
	state, err := c.tn.Server.Stubs.Clock.GetClock(ctx, &mbv1.GetClockRequest{AccountSid: c.tn.AccountSid})
	c.tn.check("reading the clock", err)
	return state
}

// ---- messages -------------------------------------------------------------------------------

// Messages are what the tenant's app sent and received.
type Messages struct{ tn *TenantHandle }

// Get is one message by SID.
func (m Messages) Get(sid string) *mbv1.Message {
	m.tn.t.Helper()
	ctx, cancel := m.tn.ctx()
	defer cancel()
	message, err := m.tn.Server.Stubs.Messages.GetMessage(ctx, &mbv1.GetMessageRequest{AccountSid: m.tn.AccountSid, Sid: sid})
	m.tn.check("getting message "+sid, err)
	return message
}

// List is the tenant's messages to (and from) these addresses ("" for any), newest first.
func (m Messages) List(to, from string) []*mbv1.Message {
	m.tn.t.Helper()
	ctx, cancel := m.tn.ctx()
	defer cancel()
	listed, err := m.tn.Server.Stubs.Messages.ListMessages(ctx, &mbv1.ListMessagesRequest{AccountSid: m.tn.AccountSid, To: to, From: from})
	m.tn.check("listing messages", err)
	return listed.Messages
}

// SetStatus sets a message's status now (with Twilio's error code for a failure); its status
// callback goes out before this returns.
func (m Messages) SetStatus(sid string, status mbv1.MessageStatus, errorCode uint32) *mbv1.Message {
	m.tn.t.Helper()
	ctx, cancel := m.tn.ctx()
	defer cancel()
	message, err := m.tn.Server.Stubs.Messages.SetMessageStatus(ctx, &mbv1.SetMessageStatusRequest{AccountSid: m.tn.AccountSid, Sid: sid, Status: status, ErrorCode: errorCode})
	m.tn.check("setting the status of "+sid, err)
	return message
}

// CallbackAttempts are the webhook attempts about a resource ("" for all), newest first.
func (m Messages) CallbackAttempts(resourceSid string) []*mbv1.CallbackAttempt {
	m.tn.t.Helper()
	ctx, cancel := m.tn.ctx()
	defer cancel()
	listed, err := m.tn.Server.Stubs.Messages.ListCallbackAttempts(ctx, &mbv1.ListCallbackAttemptsRequest{AccountSid: m.tn.AccountSid, ResourceSid: resourceSid})
	m.tn.check("listing callback attempts", err)
	return listed.Attempts
}

// Redeliver sends a recorded webhook attempt (CallbackAttempt.Id) again, now, as it was but
// signed anew, and returns the new attempt with the app's answer. No retries follow.
func (m Messages) Redeliver(attemptID int64) *mbv1.CallbackAttempt {
	m.tn.t.Helper()
	ctx, cancel := m.tn.ctx()
	defer cancel()
	again, err := m.tn.Server.Stubs.Messages.RedeliverCallback(ctx, &mbv1.RedeliverCallbackRequest{AccountSid: m.tn.AccountSid, AttemptId: attemptID})
	m.tn.check(fmt.Sprintf("redelivering callback attempt %d", attemptID), err)
	return again
}

// ---- simulated users ------------------------------------------------------------------------

// InboundSMS is a user texting one of the tenant's numbers: the number's SMS URL gets Twilio's
// signed webhook, and the app's TwiML <Message> replies come back in Replies. A from of
// `whatsapp:+…` writes through Twilio's WhatsApp channel; with sets the request's other fields
// (MediaUrls, ProfileName, ButtonPayload, …).
func (tn *TenantHandle) InboundSMS(from, to, body string, with ...func(*mbv1.SendInboundRequest)) *mbv1.SendInboundResponse {
	tn.t.Helper()
	request := &mbv1.SendInboundRequest{AccountSid: tn.AccountSid, From: from, To: to, Body: body}
	for _, f := range with {
		f(request)
	}
	ctx, cancel := tn.ctx()
	defer cancel()
	sent, err := tn.Server.Stubs.Messages.SendInbound(ctx, request)
	tn.check("sending an inbound SMS", err)
	return sent
}

// Reset drops the tenant's data and rules, keeping its credentials and numbers; it returns the
// reset's sequence number, to wait for events after it (mbtest.After).
func (tn *TenantHandle) Reset() int64 {
	tn.t.Helper()
	ctx, cancel := tn.ctx()
	defer cancel()
	reset, err := tn.Server.Stubs.Tenants.ResetTenant(ctx, &mbv1.ResetTenantRequest{AccountSid: tn.AccountSid})
	tn.check("resetting the tenant", err)
	return reset.Sequence
}

// WhatsAppSettings are the Cloud API settings as they are: webhook URL, window, allow list, templates.
func (tn *TenantHandle) WhatsAppSettings() *mbv1.WhatsAppSettings {
	tn.t.Helper()
	ctx, cancel := tn.ctx()
	defer cancel()
	settings, err := tn.Server.Stubs.WhatsApp.GetSettings(ctx, &mbv1.GetWhatsAppSettingsRequest{AccountSid: tn.AccountSid})
	tn.check("getting the WhatsApp settings", err)
	return settings
}

// VerifyWhatsAppWebhook runs Meta's verification handshake against url ("" for the tenant's
// webhook URL); Echoed says whether the app answered with the bare challenge.
func (tn *TenantHandle) VerifyWhatsAppWebhook(url string) *mbv1.VerifyWebhookResponse {
	tn.t.Helper()
	request := &mbv1.VerifyWebhookRequest{AccountSid: tn.AccountSid}
	if url != "" {
		request.Url = &url
	}
	ctx, cancel := tn.ctx()
	defer cancel()
	verified, err := tn.Server.Stubs.WhatsApp.VerifyWebhook(ctx, request)
	tn.check("verifying the WhatsApp webhook", err)
	return verified
}

// UpdateWhatsAppSettings changes the Cloud API settings edit sets (webhook, window, allow list, templates).
func (tn *TenantHandle) UpdateWhatsAppSettings(edit func(*mbv1.UpdateWhatsAppSettingsRequest)) *mbv1.UpdateWhatsAppSettingsResponse {
	tn.t.Helper()
	request := &mbv1.UpdateWhatsAppSettingsRequest{AccountSid: tn.AccountSid}
	edit(request)
	ctx, cancel := tn.ctx()
	defer cancel()
	updated, err := tn.Server.Stubs.WhatsApp.UpdateSettings(ctx, request)
	tn.check("updating the WhatsApp settings", err)
	return updated
}

// SetWhatsAppWebhook is where the Cloud API's message and status webhooks go ("" removes it).
func (tn *TenantHandle) SetWhatsAppWebhook(url string) *mbv1.WhatsAppSettings {
	tn.t.Helper()
	return tn.UpdateWhatsAppSettings(func(r *mbv1.UpdateWhatsAppSettingsRequest) { r.WebhookUrl = &url }).Settings
}

// WhatsAppUser is a user (their number, digits) writing to the tenant's business number
// through the Cloud API.
func (tn *TenantHandle) WhatsAppUser(number, profileName string) *WhatsAppUser {
	return &WhatsAppUser{tn: tn, Number: number, ProfileName: profileName}
}

// WhatsAppUser sends messages to the app as Meta's signed webhook; each call returns once the
// app has answered it.
type WhatsAppUser struct {
	Number      string
	ProfileName string
	tn          *TenantHandle
}

// Send sends any message SendWhatsAppInboundRequest has, set by with (Message, ContextId, …).
func (u *WhatsAppUser) Send(with func(*mbv1.SendWhatsAppInboundRequest)) *mbv1.SendWhatsAppInboundResponse {
	u.tn.t.Helper()
	request := &mbv1.SendWhatsAppInboundRequest{AccountSid: u.tn.AccountSid, From: u.Number, ProfileName: u.ProfileName}
	with(request)
	ctx, cancel := u.tn.ctx()
	defer cancel()
	sent, err := u.tn.Server.Stubs.WhatsApp.SendInbound(ctx, request)
	u.tn.check("sending a WhatsApp message from "+u.Number, err)
	return sent
}

// SendText writes a text message.
func (u *WhatsAppUser) SendText(body string) *mbv1.SendWhatsAppInboundResponse {
	u.tn.t.Helper()
	return u.Send(func(r *mbv1.SendWhatsAppInboundRequest) {
		r.Message = &mbv1.SendWhatsAppInboundRequest_Text{Text: &mbv1.Text{Body: body}}
	})
}

// TapButton taps a reply button of the app's interactive message.
func (u *WhatsAppUser) TapButton(id, title string) *mbv1.SendWhatsAppInboundResponse {
	u.tn.t.Helper()
	return u.Send(func(r *mbv1.SendWhatsAppInboundRequest) {
		r.Message = &mbv1.SendWhatsAppInboundRequest_ButtonReply{ButtonReply: &mbv1.ButtonReply{Id: id, Title: title}}
	})
}

// PickRow picks a row of the app's list message.
func (u *WhatsAppUser) PickRow(id, title string) *mbv1.SendWhatsAppInboundResponse {
	u.tn.t.Helper()
	return u.Send(func(r *mbv1.SendWhatsAppInboundRequest) {
		r.Message = &mbv1.SendWhatsAppInboundRequest_ListReply{ListReply: &mbv1.ListReply{Id: id, Title: title}}
	})
}

// Conversation is the messages between the business number and this user, oldest first.
func (u *WhatsAppUser) Conversation() []*mbv1.Message {
	u.tn.t.Helper()
	ctx, cancel := u.tn.ctx()
	defer cancel()
	got, err := u.tn.Server.Stubs.WhatsApp.GetConversation(ctx, &mbv1.GetConversationRequest{AccountSid: u.tn.AccountSid, User: u.Number})
	u.tn.check("getting the conversation with "+u.Number, err)
	return got.Messages
}
