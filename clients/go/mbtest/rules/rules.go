// Package rules builds mockingbird rules that read like the behaviour they set up:
//
//	rules.To("+15557654321").Sent(time.Second).Undelivered(30007, 0) // sent after 1 s, then undelivered 30007
//	rules.ToPrefix("+1555").Reject(21610)                            // the API call fails with 21610
//	rules.BodyContains("promo").First(2).Delivered(5 * time.Second)  // the first two only
//	rules.Calls().To("+15557654321").Rings()                         // rings until the test answers
//
// A Rule is a value: every method returns a new one, so a partial rule can be shared. Pass it to
// tenant.Rules.Add; Build gives the generated *mockingbirdv1.Rule.
package rules

import (
	"time"

	mbv1 "github.com/mockingbird/mockingbird/clients/go/mockingbirdv1"
	"google.golang.org/protobuf/types/known/durationpb"
)

// Rule is a rule being written: what it matches, then what happens.
type Rule struct {
	edits []func(*mbv1.Rule)
}

func (r Rule) with(edit func(*mbv1.Rule)) Rule {
	edits := make([]func(*mbv1.Rule), len(r.edits), len(r.edits)+1)
	copy(edits, r.edits)
	return Rule{edits: append(edits, edit)}
}

// Build is the rule as the control plane takes it.
func (r Rule) Build() *mbv1.Rule {
	rule := &mbv1.Rule{When: &mbv1.MessageMatch{}}
	for _, edit := range r.edits {
		edit(rule)
	}
	if rule.GetCall() != nil && rule.When.Channel == "" {
		rule.When.Channel = "voice" // the server takes call rules for calls only
	}
	return rule
}

// AnyMessage matches every message (narrow it with the methods below).
func AnyMessage() Rule { return Rule{} }

// Calls matches calls only (channel `voice`).
func Calls() Rule { return Rule{}.Channel("voice") }

// To matches messages (or calls) to exactly this address.
func To(address string) Rule { return Rule{}.To(address) }

// ToPrefix matches addresses starting with prefix.
func ToPrefix(prefix string) Rule { return Rule{}.ToPrefix(prefix) }

// From matches messages from exactly this address.
func From(address string) Rule { return Rule{}.From(address) }

// BodyContains matches bodies containing text.
func BodyContains(text string) Rule { return Rule{}.BodyContains(text) }

func (r Rule) To(address string) Rule {
	return r.with(func(m *mbv1.Rule) {
		m.When.To = &mbv1.AddressPattern{Pattern: &mbv1.AddressPattern_Exact{Exact: address}}
	})
}

func (r Rule) ToPrefix(prefix string) Rule {
	return r.with(func(m *mbv1.Rule) {
		m.When.To = &mbv1.AddressPattern{Pattern: &mbv1.AddressPattern_Prefix{Prefix: prefix}}
	})
}

// ToGlob: `*` any run of characters, `?` any one, e.g. `+1555???0007`.
func (r Rule) ToGlob(glob string) Rule {
	return r.with(func(m *mbv1.Rule) { m.When.To = &mbv1.AddressPattern{Pattern: &mbv1.AddressPattern_Glob{Glob: glob}} })
}

func (r Rule) From(address string) Rule {
	return r.with(func(m *mbv1.Rule) {
		m.When.From = &mbv1.AddressPattern{Pattern: &mbv1.AddressPattern_Exact{Exact: address}}
	})
}

func (r Rule) BodyContains(text string) Rule {
	return r.with(func(m *mbv1.Rule) {
		m.When.Body = &mbv1.BodyPattern{Pattern: &mbv1.BodyPattern_Contains{Contains: text}}
	})
}

func (r Rule) BodyRegex(regex string) Rule {
	return r.with(func(m *mbv1.Rule) { m.When.Body = &mbv1.BodyPattern{Pattern: &mbv1.BodyPattern_Regex{Regex: regex}} })
}

// Channel is `sms`, `mms`, `whatsapp` or `voice`.
func (r Rule) Channel(channel string) Rule {
	return r.with(func(m *mbv1.Rule) { m.When.Channel = channel })
}

// Named is the id events report the rule by (`rule-…` when not given).
func (r Rule) Named(id string) Rule { return r.with(func(m *mbv1.Rule) { m.Id = id }) }

// First applies the rule to the first n matching messages only; later ones fall through.
func (r Rule) First(n uint32) Rule { return r.with(func(m *mbv1.Rule) { m.FirstN = n }) }

// Latency makes the API answer this much later (real time).
func (r Rule) Latency(d time.Duration) Rule {
	return r.with(func(m *mbv1.Rule) { m.Latency = durationpb.New(d) })
}

// ---- what happens to a message ----------------------------------------------------------------

// Reject fails the API call at once with Twilio's error code (HTTP 400).
func (r Rule) Reject(errorCode uint32) Rule {
	return r.with(func(m *mbv1.Rule) {
		m.Outcome = &mbv1.Rule_Reject{Reject: &mbv1.Rejection{ErrorCode: errorCode}}
	})
}

// Accepted keeps the message as created: no status follows.
func (r Rule) Accepted() Rule {
	return r.with(func(m *mbv1.Rule) { m.Outcome = &mbv1.Rule_Accept{Accept: &mbv1.Lifecycle{}} })
}

// Then adds a step to the message's script: status, after this much tenant time past the previous step.
func (r Rule) Then(status mbv1.MessageStatus, after time.Duration, errorCode uint32) Rule {
	return r.with(func(m *mbv1.Rule) {
		lifecycle := m.GetAccept()
		if lifecycle == nil {
			lifecycle = &mbv1.Lifecycle{}
			m.Outcome = &mbv1.Rule_Accept{Accept: lifecycle}
		}
		lifecycle.Steps = append(lifecycle.Steps, &mbv1.LifecycleStep{Status: status, Delay: durationpb.New(after), ErrorCode: errorCode})
	})
}

func (r Rule) Sent(after time.Duration) Rule {
	return r.Then(mbv1.MessageStatus_MESSAGE_STATUS_SENT, after, 0)
}

func (r Rule) Delivered(after time.Duration) Rule {
	return r.Then(mbv1.MessageStatus_MESSAGE_STATUS_DELIVERED, after, 0)
}

func (r Rule) Read(after time.Duration) Rule {
	return r.Then(mbv1.MessageStatus_MESSAGE_STATUS_READ, after, 0)
}

func (r Rule) Undelivered(errorCode uint32, after time.Duration) Rule {
	return r.Then(mbv1.MessageStatus_MESSAGE_STATUS_UNDELIVERED, after, errorCode)
}

func (r Rule) Failed(errorCode uint32, after time.Duration) Rule {
	return r.Then(mbv1.MessageStatus_MESSAGE_STATUS_FAILED, after, errorCode)
}

// ---- misbehaving status callbacks -------------------------------------------------------------

func (r Rule) disordered(edit func(*mbv1.CallbackDisorder)) Rule {
	return r.with(func(m *mbv1.Rule) {
		if m.Callbacks == nil {
			m.Callbacks = &mbv1.CallbackDisorder{}
		}
		edit(m.Callbacks)
	})
}

// DropCallbacks never sends the status callbacks for these statuses.
func (r Rule) DropCallbacks(statuses ...mbv1.MessageStatus) Rule {
	return r.disordered(func(d *mbv1.CallbackDisorder) { d.Drop = append(d.Drop, statuses...) })
}

// DuplicateCallbacks sends these statuses' callbacks twice.
func (r Rule) DuplicateCallbacks(statuses ...mbv1.MessageStatus) Rule {
	return r.disordered(func(d *mbv1.CallbackDisorder) { d.Duplicate = append(d.Duplicate, statuses...) })
}

// DelayCallback holds a status's callback back, e.g. `sent` by 10 s so it arrives after `delivered`.
func (r Rule) DelayCallback(status mbv1.MessageStatus, by time.Duration) Rule {
	return r.disordered(func(d *mbv1.CallbackDisorder) {
		d.Delay = append(d.Delay, &mbv1.DelayedCallback{Status: status, By: durationpb.New(by)})
	})
}

// ---- what a called party does (rules on calls) ------------------------------------------------

func (r Rule) callee(behavior *mbv1.CallBehavior) Rule {
	return r.with(func(m *mbv1.Rule) { m.Outcome = &mbv1.Rule_Call{Call: behavior} })
}

// Answers: the callee picks up after ring.
func (r Rule) Answers(ring time.Duration) Rule {
	return r.callee(&mbv1.CallBehavior{Result: mbv1.CallBehavior_RESULT_ANSWER, Ring: durationpb.New(ring)})
}

// Busy: the callee's line is busy.
func (r Rule) Busy() Rule { return r.callee(&mbv1.CallBehavior{Result: mbv1.CallBehavior_RESULT_BUSY}) }

// NoAnswer: the call rings out.
func (r Rule) NoAnswer() Rule {
	return r.callee(&mbv1.CallBehavior{Result: mbv1.CallBehavior_RESULT_NO_ANSWER})
}

// CallFails: the call cannot be placed.
func (r Rule) CallFails() Rule {
	return r.callee(&mbv1.CallBehavior{Result: mbv1.CallBehavior_RESULT_FAIL})
}

// Rings until the test answers or rejects the call (Call.Answer / Call.Reject).
func (r Rule) Rings() Rule {
	return r.callee(&mbv1.CallBehavior{Result: mbv1.CallBehavior_RESULT_RING})
}
