package tests

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// The staleness check (generate.sh --check) against a copy of proto/ with one added field:
// it fails, naming the file a forgotten regeneration left stale and the command to run.

func copyProtos(t *testing.T) string {
	t.Helper()
	source, err := filepath.Abs(filepath.Join("..", "..", "..", "proto"))
	if err != nil {
		t.Fatal(err)
	}
	copied := t.TempDir()
	if err := os.CopyFS(copied, os.DirFS(source)); err != nil {
		t.Fatalf("copying %s: %v", source, err)
	}
	return copied
}

func checkGenerated(t *testing.T, protoDir string) (string, error) {
	t.Helper()
	cmd := exec.Command("bash", filepath.Join("..", "generate.sh"), "--check", "--proto", protoDir)
	output, err := cmd.CombinedOutput()
	return string(output), err
}

func TestTheCheckedInGeneratedCodeIsCurrent(t *testing.T) {
	if output, err := checkGenerated(t, copyProtos(t)); err != nil {
		t.Fatalf("generate.sh --check on an unchanged copy of proto/: %v\n%s", err, output)
	}
}

func TestTheStalenessCheckNamesAFileAFieldWasAddedTo(t *testing.T) {
	protos := copyProtos(t)
	tenants := filepath.Join(protos, "mockingbird", "v1", "tenants.proto")
	text, err := os.ReadFile(tenants)
	if err != nil {
		t.Fatal(err)
	}
	const lastField = "google.protobuf.Timestamp created_at = 7;"
	if !strings.Contains(string(text), lastField) {
		t.Fatalf("tenants.proto no longer has %q: update this test", lastField)
	}
	added := strings.Replace(string(text), lastField, lastField+"\n  string region = 99;", 1)
	if err := os.WriteFile(tenants, []byte(added), 0o644); err != nil {
		t.Fatal(err)
	}

	output, err := checkGenerated(t, protos)

	if err == nil {
		t.Fatalf("generate.sh --check passed with a field added to tenants.proto:\n%s", output)
	}
	want := "clients/go/mockingbirdv1/tenants.pb.go is stale against proto/: run `bash clients/go/generate.sh` and commit the result."
	if !strings.Contains(output, want) {
		t.Fatalf("the check's output does not say %q:\n%s", want, output)
	}
	if strings.Contains(output, "calls.pb.go") || strings.Contains(output, "tenants_grpc.pb.go") {
		t.Fatalf("the check names files the change did not touch:\n%s", output)
	}
}

// protoc writes its own version into each header; generate.sh fixes that line, so another
// machine's protoc does not make every file look stale.
func TestGeneratedHeadersCarryNoProtocVersion(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join("..", "mockingbirdv1", "*.pb.go"))
	if len(files) == 0 {
		t.Fatal("no generated files in clients/go/mockingbirdv1")
	}
	for _, file := range files {
		text, _ := os.ReadFile(file)
		header, _, _ := strings.Cut(string(text), "package ")
		if !strings.Contains(header, "version line fixed by generate.sh") {
			t.Fatalf("%s: the protoc version line was not fixed:\n%s", file, header)
		}
	}
}

// The README's complete test is this suite's first test, word for word.
func TestTheReadmeShowsTheSuitesFirstTest(t *testing.T) {
	readme, err := os.ReadFile(filepath.Join("..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	source, err := os.ReadFile("sms_test.go")
	if err != nil {
		t.Fatal(err)
	}
	const opening = "func TestADeliveredSMSReachesTheAppAsASignedStatusCallback"
	_, rest, found := strings.Cut(string(source), opening)
	body, _, ended := strings.Cut(rest, "\n}\n")
	if !found || !ended {
		t.Fatal("sms_test.go has no TestADeliveredSMSReachesTheAppAsASignedStatusCallback")
	}
	first := opening + body + "\n}\n"
	if !strings.Contains(string(readme), first) {
		t.Fatalf("clients/go/README.md no longer shows the suite's first test as it is in tests/sms_test.go:\n%s", first)
	}
}
