package rules

import (
	"testing"
	"time"

	mbv1 "github.com/mockingbird/mockingbird/clients/go/mockingbirdv1"
	"google.golang.org/protobuf/encoding/prototext"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/durationpb"
)

func same(t *testing.T, got, want *mbv1.Rule) {
	t.Helper()
	if !proto.Equal(got, want) {
		t.Fatalf("built\n%s\nwant\n%s", prototext.Format(got), prototext.Format(want))
	}
}

func TestAStatusScriptBuildsItsStepsInOrder(t *testing.T) {
	same(t, To("+15557654321").Sent(time.Second).Undelivered(30007, 2*time.Second).Build(), &mbv1.Rule{
		When: &mbv1.MessageMatch{To: &mbv1.AddressPattern{Pattern: &mbv1.AddressPattern_Exact{Exact: "+15557654321"}}},
		Outcome: &mbv1.Rule_Accept{Accept: &mbv1.Lifecycle{Steps: []*mbv1.LifecycleStep{
			{Status: mbv1.MessageStatus_MESSAGE_STATUS_SENT, Delay: durationpb.New(time.Second)},
			{Status: mbv1.MessageStatus_MESSAGE_STATUS_UNDELIVERED, Delay: durationpb.New(2 * time.Second), ErrorCode: 30007},
		}}},
	})
}

func TestACallRuleIsForTheVoiceChannel(t *testing.T) {
	same(t, To("+15557654321").Busy().Build(), &mbv1.Rule{
		When:    &mbv1.MessageMatch{Channel: "voice", To: &mbv1.AddressPattern{Pattern: &mbv1.AddressPattern_Exact{Exact: "+15557654321"}}},
		Outcome: &mbv1.Rule_Call{Call: &mbv1.CallBehavior{Result: mbv1.CallBehavior_RESULT_BUSY}},
	})
}

func TestAPartialRuleCanBeShared(t *testing.T) {
	promo := BodyContains("promo").First(2)
	rejected, delivered := promo.Reject(21610).Build(), promo.Delivered(0).Build()
	if rejected.GetReject().GetErrorCode() != 21610 || delivered.GetAccept() == nil || len(delivered.GetAccept().Steps) != 1 {
		t.Fatalf("one branch changed the other:\n%s\n%s", prototext.Format(rejected), prototext.Format(delivered))
	}
	if rejected.FirstN != 2 || delivered.FirstN != 2 {
		t.Fatal("the shared part was lost")
	}
}
