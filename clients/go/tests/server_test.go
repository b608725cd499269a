package tests

import (
	"net/http"
	"strings"
	"testing"

	"github.com/mockingbird/mockingbird/clients/go/mbtest"
)

func TestAMissingBinaryIsNamed(t *testing.T) {
	_, err := mbtest.StartServer(mbtest.Binary("/nonexistent/mockingbird"))
	if err == nil || !strings.Contains(err.Error(), "/nonexistent/mockingbird") {
		t.Fatalf("want an error naming the path, got %v", err)
	}

	t.Setenv("MOCKINGBIRD_BIN", "")
	t.Setenv("PATH", t.TempDir())
	_, err = mbtest.StartServer()
	if err == nil || !strings.Contains(err.Error(), "MOCKINGBIRD_BIN") {
		t.Fatalf("want an error saying how to name the binary, got %v", err)
	}
}

func TestATestCanStartAServerOfItsOwnWithSettings(t *testing.T) {
	server := mbtest.Start(t, mbtest.Set("twilio.callbacks.retry_attempts", "1"), mbtest.Set("dashboard.enabled", "false"))
	// A setting the test can see at once: with the dashboard off, its page at / is not served.
	response, err := http.Get(server.HTTPURL + "/")
	if err != nil {
		t.Fatal(err)
	}
	response.Body.Close()
	if response.StatusCode != http.StatusNotFound {
		t.Fatalf("GET / answered %d with dashboard.enabled=false, want 404: the settings were not applied", response.StatusCode)
	}

	tenant := server.Tenant(t)
	app := mbtest.NewReceiver(t)
	tenant.Numbers.Add(number, mbtest.SMSURL(app.URL("/sms")))

	tenant.InboundSMS(user, number, "hello")

	if got := app.WaitForRequest("/sms").Form.Get("AccountSid"); got != tenant.AccountSid {
		t.Fatalf("the webhook names account %q, want %q", got, tenant.AccountSid)
	}
	if numbers := tenant.Numbers.List(); len(numbers) != 1 || numbers[0].PhoneNumber != number {
		t.Fatalf("numbers %v", numbers)
	}
}
