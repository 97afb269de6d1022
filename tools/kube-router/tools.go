//go:build tools

// Package tools pins kube-router, whose network policy controller (iptables and ipset) enforces NetworkPolicy in
// the kind cluster of make e2e-kind.
package tools

import (
	_ "github.com/cloudnativelabs/kube-router/v2/cmd/kube-router"
)
