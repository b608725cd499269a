//go:build !linux

package mbtest

import "os/exec"

// dieWithParent has no portable equivalent of Linux's parent-death signal: elsewhere a server
// outlives a test binary that is killed, and Close (or the end of the test) stops it otherwise.
func dieWithParent(*exec.Cmd) {}
