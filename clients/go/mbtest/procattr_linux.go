package mbtest

import (
	"os/exec"
	"syscall"
)

// dieWithParent makes a test binary killed by a signal (or one whose TestMain never stops the
// server) take its server with it instead of leaving it running.
func dieWithParent(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGTERM}
}
