// The Go client's compatibility suite: the official twilio-go SDK and the mbtest layer against
// the real binary ($MOCKINGBIRD_BIN), one server for the package and a tenant per test.
package tests

import (
	"testing"

	"github.com/mockingbird/mockingbird/clients/go/mbtest"
)

func TestMain(m *testing.M) { mbtest.Main(m) }

const (
	number    = "+15550101010" // the tenant's number, which the app sends from
	user      = "+15557654321" // a user's phone
	otherUser = "+15557654322" // another's
)
