package mbtest

import (
	"context"
	"strings"

	mbv1 "github.com/mockingbird/mockingbird/clients/go/mockingbirdv1"
)

// Call is a call with the test as the person on the line. Each action returns once the call's
// TwiML has run as far as it can, and updates Detail.
type Call struct {
	Detail *mbv1.CallDetail
	tn     *TenantHandle
}

// PlaceCall is a caller dialling one of the tenant's numbers: its VoiceUrl's TwiML runs as far as
// it can (to a <Gather>, say) before this returns. with sets the request's other fields
// (CallerName, ForwardedFrom).
func (tn *TenantHandle) PlaceCall(from, to string, with ...func(*mbv1.PlaceInboundCallRequest)) *Call {
	tn.t.Helper()
	request := &mbv1.PlaceInboundCallRequest{AccountSid: tn.AccountSid, From: from, To: to}
	for _, f := range with {
		f(request)
	}
	ctx, cancel := tn.ctx()
	defer cancel()
	detail, err := tn.Server.Stubs.Calls.PlaceInboundCall(ctx, request)
	tn.check("placing a call to "+to, err)
	return &Call{Detail: detail, tn: tn}
}

// Call is a call by its SID (one the app placed, say), to answer, reject or act on.
func (tn *TenantHandle) Call(sid string) *Call {
	tn.t.Helper()
	ctx, cancel := tn.ctx()
	defer cancel()
	detail, err := tn.Server.Stubs.Calls.GetCall(ctx, &mbv1.GetCallRequest{AccountSid: tn.AccountSid, Sid: sid})
	tn.check("getting call "+sid, err)
	return &Call{Detail: detail, tn: tn}
}

// SID is the call's SID.
func (c *Call) SID() string { return c.Detail.GetCall().GetSid() }

// Status is the call's status as Twilio writes it: ringing, in-progress, completed, no-answer, …
func (c *Call) Status() string {
	name := strings.TrimPrefix(c.Detail.GetCall().GetStatus().String(), "CALL_STATUS_")
	return strings.ReplaceAll(strings.ToLower(name), "_", "-")
}

// WaitingFor is gather, record, pause or dial while the call waits for one; else "".
func (c *Call) WaitingFor() string { return c.Detail.GetWaitingFor() }

// Said is what the caller heard <Say>, in order.
func (c *Call) Said() []string {
	said := []string{}
	for _, entry := range c.Detail.GetTranscript() {
		if entry.Type == "said" {
			said = append(said, entry.Text)
		}
	}
	return said
}

// act runs one control-plane call on the call (with its own deadline) and keeps the detail it
// answers.
func (c *Call) act(what string, do func(context.Context) (*mbv1.CallDetail, error)) *Call {
	c.tn.t.Helper()
	ctx, cancel := c.tn.ctx()
	defer cancel()
	detail, err := do(ctx)
	c.tn.check(what+" on call "+c.SID(), err)
	c.Detail = detail
	return c
}

// Press presses keys (0-9, *, #; w waits).
func (c *Call) Press(digits string) *Call {
	c.tn.t.Helper()
	return c.act("pressing "+digits, func(ctx context.Context) (*mbv1.CallDetail, error) {
		return c.tn.Server.Stubs.Calls.PressDigits(ctx, &mbv1.PressDigitsRequest{AccountSid: c.tn.AccountSid, Sid: c.SID(), Digits: digits})
	})
}

// Say speaks: a speech <Gather> takes the words, a <Record> records.
func (c *Call) Say(text string) *Call {
	c.tn.t.Helper()
	return c.act("saying "+text, func(ctx context.Context) (*mbv1.CallDetail, error) {
		return c.tn.Server.Stubs.Calls.SaySpeech(ctx, &mbv1.SaySpeechRequest{AccountSid: c.tn.AccountSid, Sid: c.SID(), Text: text})
	})
}

// HangUp ends the call from the caller's side.
func (c *Call) HangUp() *Call {
	c.tn.t.Helper()
	return c.act("hanging up", func(ctx context.Context) (*mbv1.CallDetail, error) {
		return c.tn.Server.Stubs.Calls.HangUp(ctx, &mbv1.HangUpRequest{AccountSid: c.tn.AccountSid, Sid: c.SID()})
	})
}

// Answer picks up a call the app placed that is still ringing.
func (c *Call) Answer() *Call {
	c.tn.t.Helper()
	return c.answer(false)
}

// AnswerAsMachine lets an answering machine pick up a call the app placed that is still
// ringing (what machine detection reports as AnsweredBy).
func (c *Call) AnswerAsMachine() *Call {
	c.tn.t.Helper()
	return c.answer(true)
}

func (c *Call) answer(machine bool) *Call {
	c.tn.t.Helper()
	return c.act("answering", func(ctx context.Context) (*mbv1.CallDetail, error) {
		return c.tn.Server.Stubs.Calls.AnswerCall(ctx, &mbv1.AnswerCallRequest{AccountSid: c.tn.AccountSid, Sid: c.SID(), Machine: machine})
	})
}

// Reject ends a call the app placed that has not been answered, with the status it then has:
// busy, no-answer or failed.
func (c *Call) Reject(status string) *Call {
	c.tn.t.Helper()
	reason, known := enumValue(mbv1.RejectCallRequest_Reason_value, "REASON_", status)
	if !known {
		c.tn.t.Fatalf("mbtest: rejecting call %s: %q is not busy, no-answer or failed", c.SID(), status)
	}
	return c.act("rejecting", func(ctx context.Context) (*mbv1.CallDetail, error) {
		return c.tn.Server.Stubs.Calls.RejectCall(ctx, &mbv1.RejectCallRequest{AccountSid: c.tn.AccountSid, Sid: c.SID(), Reason: mbv1.RejectCallRequest_Reason(reason)})
	})
}

// Refresh reads the call as it now is into Detail.
func (c *Call) Refresh() *Call {
	c.tn.t.Helper()
	return c.act("getting", func(ctx context.Context) (*mbv1.CallDetail, error) {
		return c.tn.Server.Stubs.Calls.GetCall(ctx, &mbv1.GetCallRequest{AccountSid: c.tn.AccountSid, Sid: c.SID()})
	})
}

// Calls are the tenant's calls, newest first, narrowed by edit (To, From, Status, …; nil for all).
func (tn *TenantHandle) Calls(edit func(*mbv1.ListCallsRequest)) []*mbv1.Call {
	tn.t.Helper()
	request := &mbv1.ListCallsRequest{AccountSid: tn.AccountSid}
	if edit != nil {
		edit(request)
	}
	ctx, cancel := tn.ctx()
	defer cancel()
	listed, err := tn.Server.Stubs.Calls.ListCalls(ctx, request)
	tn.check("listing calls", err)
	return listed.Calls
}
