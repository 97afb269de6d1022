// Command runcwrap runs /usr/sbin/runc after removing CAP_SYS_RESOURCE from the capabilities a container or an exec
// asks for. Some sandboxes start every process without that capability in their bounding set, and runc then fails
// to start a privileged container ("unable to apply caps: operation not permitted"); kind runs every node
// privileged, and kube-proxy asks for every capability inside the node. make e2e-kind registers it as dockerd's
// default runtime, and as the kind node's containerd runtime, only when the host's bounding set lacks the
// capability (see /proc/self/status CapBnd).
package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
)

// realRunc is where Debian's runc package installs runc, on the host and in our kind node image alike.
const realRunc = "/usr/sbin/runc"

const dropped = "CAP_SYS_RESOURCE"

// globalWithValue are runc's global flags that take a separate value, so their value is not the subcommand.
var globalWithValue = map[string]bool{"--root": true, "--log": true, "--log-format": true, "--criu": true, "--rootless": true}

func main() {
	if err := filter(os.Args[1:]); err != nil {
		fmt.Fprintf(os.Stderr, "runcwrap: %v\n", err)
		os.Exit(1)
	}
	args := append([]string{realRunc}, os.Args[1:]...)
	if err := syscall.Exec(realRunc, args, os.Environ()); err != nil {
		fmt.Fprintf(os.Stderr, "runcwrap: cannot exec %s: %v\n", realRunc, err)
		os.Exit(1)
	}
}

// filter edits the OCI file runc is about to read: the bundle's config.json for create and run, the process file
// for exec. Other subcommands pass through untouched.
func filter(args []string) error {
	sub, rest := subcommand(args)
	switch sub {
	case "create", "run":
		bundle := flagValue(rest, "--bundle", "-b")
		if bundle == "" {
			bundle = "."
		}
		return edit(filepath.Join(bundle, "config.json"), true)
	case "exec":
		if p := flagValue(rest, "--process", "-p"); p != "" {
			return edit(p, false)
		}
	}
	return nil
}

func subcommand(args []string) (string, []string) {
	for i := 0; i < len(args); i++ {
		a := args[i]
		if !strings.HasPrefix(a, "-") {
			return a, args[i+1:]
		}
		if globalWithValue[a] {
			i++
		}
	}
	return "", nil
}

func flagValue(args []string, long, short string) string {
	for i, a := range args {
		for _, f := range []string{long, short} {
			if a == f && i+1 < len(args) {
				return args[i+1]
			}
			if v, ok := strings.CutPrefix(a, f+"="); ok {
				return v
			}
		}
	}
	return ""
}

// edit removes the capability from every set of the process, keeping every other field as it was.
func edit(path string, inConfig bool) error {
	b, err := os.ReadFile(path) //nolint:gosec // the file runc itself is about to read.
	if err != nil {
		return fmt.Errorf("cannot read %s: %w", path, err)
	}
	var doc map[string]any
	if err := json.Unmarshal(b, &doc); err != nil {
		return fmt.Errorf("cannot parse %s: %w", path, err)
	}
	process := doc
	if inConfig {
		p, ok := doc["process"].(map[string]any)
		if !ok {
			return nil
		}
		process = p
	}
	caps, ok := process["capabilities"].(map[string]any)
	if !ok {
		return nil
	}
	changed := false
	for set, v := range caps {
		list, ok := v.([]any)
		if !ok {
			continue
		}
		kept := make([]any, 0, len(list))
		for _, c := range list {
			if c == dropped {
				changed = true
				continue
			}
			kept = append(kept, c)
		}
		caps[set] = kept
	}
	if !changed {
		return nil
	}
	out, err := json.Marshal(doc)
	if err != nil {
		return fmt.Errorf("cannot encode %s: %w", path, err)
	}
	info, err := os.Stat(path)
	if err != nil {
		return fmt.Errorf("cannot stat %s: %w", path, err)
	}
	if err := os.WriteFile(path, out, info.Mode().Perm()); err != nil {
		return fmt.Errorf("cannot write %s: %w", path, err)
	}
	return nil
}
