// Command pause is the pod sandbox process of our kind node image: it holds the pod's namespaces open, reaps the
// orphans it inherits as PID 1, and exits on SIGINT or SIGTERM, as Kubernetes' own pause does. Kubernetes builds
// its pause from C, which this machine's image pipeline (Go only, no registry) cannot fetch, so this is the same
// behaviour in Go.
package main

import (
	"os"
	"os/signal"
	"syscall"
)

func main() {
	sigs := make(chan os.Signal, 4)
	signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM, syscall.SIGCHLD)
	for s := range sigs {
		if s != syscall.SIGCHLD {
			os.Exit(0)
		}
		// Reap every child that has exited; pause never starts any of its own.
		for {
			pid, err := syscall.Wait4(-1, nil, syscall.WNOHANG, nil)
			if pid <= 0 || err != nil {
				break
			}
		}
	}
}
