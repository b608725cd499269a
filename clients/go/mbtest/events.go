package mbtest

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"strings"
	"time"

	mbv1 "github.com/mockingbird/mockingbird/clients/go/mockingbirdv1"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/durationpb"
)

// DefaultWait is how long WaitFor and a subscription's Next wait unless told otherwise.
const DefaultWait = 5 * time.Second

// deadlineMargin is extra time WaitFor's gRPC deadline gets beyond the wait itself, so that the
// server's answer (with its explanation) arrives before the client gives up on its own.
const deadlineMargin = 5 * time.Second

// waitSpec is what WaitFor and Subscribe look for.
type waitSpec struct {
	filter   *mbv1.EventFilter
	after    int64
	timeout  time.Duration
	liveOnly bool
	problems []string // criteria that named nothing the server knows
}

// Criterion narrows the events WaitFor and Subscribe look for, with names as Twilio and the
// event log write them.
type Criterion func(*waitSpec)

// enumValue is names' value in an enum of the generated code: "in-progress" → CALL_STATUS_IN_PROGRESS.
func enumValue(values map[string]int32, prefix, name string) (int32, bool) {
	value, ok := values[prefix+strings.ToUpper(strings.ReplaceAll(name, "-", "_"))]
	return value, ok
}

// Kind is an event kind: message_created, message_status_changed, callback_attempted,
// inbound_delivered, rule_matched, call_status_changed, call_verb, …
func Kind(names ...string) Criterion {
	return func(s *waitSpec) {
		for _, name := range names {
			value, ok := enumValue(mbv1.EventKind_value, "EVENT_KIND_", name)
			if !ok {
				s.problems = append(s.problems, fmt.Sprintf("no event kind %q", name))
			}
			s.filter.Kinds = append(s.filter.Kinds, mbv1.EventKind(value))
		}
	}
}

// Status is a message status as Twilio writes it: queued, sent, delivered, undelivered, read, …
func Status(names ...string) Criterion {
	return func(s *waitSpec) {
		for _, name := range names {
			value, ok := enumValue(mbv1.MessageStatus_value, "MESSAGE_STATUS_", name)
			if !ok {
				s.problems = append(s.problems, fmt.Sprintf("no message status %q", name))
			}
			s.filter.Statuses = append(s.filter.Statuses, mbv1.MessageStatus(value))
		}
	}
}

// CallStatus is a call status as Twilio writes it: ringing, in-progress, completed, no-answer, …
func CallStatus(names ...string) Criterion {
	return func(s *waitSpec) {
		for _, name := range names {
			value, ok := enumValue(mbv1.CallStatus_value, "CALL_STATUS_", name)
			if !ok {
				s.problems = append(s.problems, fmt.Sprintf("no call status %q", name))
			}
			s.filter.CallStatuses = append(s.filter.CallStatuses, mbv1.CallStatus(value))
		}
	}
}

// SID is the message's or call's SID (a WhatsApp message's wamid).
func SID(sid string) Criterion { return func(s *waitSpec) { s.filter.Sid = sid } }

// To is the message's or call's recipient.
func To(address string) Criterion { return func(s *waitSpec) { s.filter.To = address } }

// From is the message's or call's sender.
func From(address string) Criterion { return func(s *waitSpec) { s.filter.From = address } }

// BodyContains matches a message body (or a call's transcript line) containing text.
func BodyContains(text string) Criterion { return func(s *waitSpec) { s.filter.BodyContains = text } }

// BodyRegex matches a body against a regular expression.
func BodyRegex(regex string) Criterion { return func(s *waitSpec) { s.filter.BodyRegex = regex } }

// WhatsAppTypes are WhatsApp message types: text, interactive, template, …
func WhatsAppTypes(types ...string) Criterion {
	return func(s *waitSpec) { s.filter.WhatsappTypes = append(s.filter.WhatsappTypes, types...) }
}

// After skips events up to this sequence number (a response's AfterSequence, say).
func After(sequence int64) Criterion { return func(s *waitSpec) { s.after = sequence } }

// Timeout is how long to wait (DefaultWait otherwise); for Subscribe, how long each Next waits.
func Timeout(d time.Duration) Criterion { return func(s *waitSpec) { s.timeout = d } }

// LiveOnly makes Subscribe skip stored events and deliver new ones only.
func LiveOnly() Criterion { return func(s *waitSpec) { s.liveOnly = true } }

func (tn *TenantHandle) spec(criteria []Criterion) (*waitSpec, error) {
	spec := &waitSpec{filter: &mbv1.EventFilter{AccountSid: tn.AccountSid}, timeout: DefaultWait}
	for _, criterion := range criteria {
		criterion(spec)
	}
	if len(spec.problems) > 0 {
		return nil, errors.New(strings.Join(spec.problems, "; "))
	}
	return spec, nil
}

// EventNotFoundError is a wait that no event answered. Its message is the server's: the nearest
// events and what each got wrong.
type EventNotFoundError struct {
	Explanation string
}

func (e *EventNotFoundError) Error() string { return e.Explanation }

// TryWaitFor is WaitFor returning an error (an *EventNotFoundError on a timeout) instead of failing the test.
func (tn *TenantHandle) TryWaitFor(criteria ...Criterion) (*mbv1.Event, error) {
	spec, err := tn.spec(criteria)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), spec.timeout+deadlineMargin)
	defer cancel()
	event, err := tn.Server.Stubs.Events.WaitFor(ctx, &mbv1.WaitForRequest{
		Filter: spec.filter, AfterSequence: spec.after, Timeout: durationpb.New(spec.timeout),
	})
	if status.Code(err) == codes.DeadlineExceeded {
		explanation := status.Convert(err).Message()
		if explanation == "" {
			explanation = fmt.Sprintf("no event matched within %s", spec.timeout)
		}
		return nil, &EventNotFoundError{Explanation: explanation}
	}
	return event, err
}

// WaitFor is the first of this tenant's events matching every criterion, waiting up to
// Timeout (DefaultWait). When none comes, the test fails with the server's explanation of the
// nearest misses:
//
//	tenant.WaitFor(mbtest.Kind("message_status_changed"), mbtest.SID(sid), mbtest.Status("delivered"))
func (tn *TenantHandle) WaitFor(criteria ...Criterion) *mbv1.Event {
	tn.t.Helper()
	event, err := tn.TryWaitFor(criteria...)
	if err != nil {
		tn.t.Fatalf("mbtest.WaitFor: %v", err)
	}
	return event
}

// EventStream is a subscription to the tenant's events: stored ones after After, then live.
type EventStream struct {
	tn      *TenantHandle
	events  chan *mbv1.Event
	err     error // set before events is closed
	timeout time.Duration
	cancel  context.CancelFunc
}

// Subscribe opens a subscription to the tenant's events matching criteria, closed when the test
// ends (or by Close).
func (tn *TenantHandle) Subscribe(criteria ...Criterion) *EventStream {
	tn.t.Helper()
	spec, err := tn.spec(criteria)
	if err != nil {
		tn.t.Fatalf("mbtest.Subscribe: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	stream, err := tn.Server.Stubs.Events.Subscribe(ctx, &mbv1.SubscribeRequest{Filter: spec.filter, AfterSequence: spec.after, LiveOnly: spec.liveOnly})
	if err != nil {
		cancel()
		tn.t.Fatalf("mbtest.Subscribe: %v", err)
	}
	s := &EventStream{tn: tn, events: make(chan *mbv1.Event, 64), timeout: spec.timeout, cancel: cancel}
	// A reader goroutine turns the gRPC stream into a channel, so that every read can have a
	// timeout and a test can select on it.
	go func() {
		defer close(s.events)
		for {
			event, err := stream.Recv()
			if err != nil {
				if status.Code(err) != codes.Canceled {
					s.err = err
				}
				return
			}
			select {
			case s.events <- event:
			case <-ctx.Done():
				return
			}
		}
	}()
	tn.t.Cleanup(s.Close)
	return s
}

// C is the events as a channel, closed when the subscription ends.
func (s *EventStream) C() <-chan *mbv1.Event { return s.events }

// Next is the next event, failing the test when none arrives within the subscription's Timeout.
func (s *EventStream) Next() *mbv1.Event {
	s.tn.t.Helper()
	select {
	case event, ok := <-s.events:
		if !ok {
			s.tn.t.Fatalf("mbtest: the subscription ended: %v", s.err)
		}
		return event
	case <-time.After(s.timeout):
		s.tn.t.Fatalf("mbtest: no event arrived on the subscription within %s", s.timeout)
		return nil
	}
}

// All ranges over the events, each read bounded as Next's is (a read that times out fails the
// test): `for event := range stream.All() { …; break }`.
func (s *EventStream) All() iter.Seq[*mbv1.Event] {
	return func(yield func(*mbv1.Event) bool) {
		s.tn.t.Helper()
		for yield(s.Next()) {
		}
	}
}

// Close cancels the subscription.
func (s *EventStream) Close() { s.cancel() }
