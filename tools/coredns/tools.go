//go:build tools

// Package tools pins github.com/coredns/coredns for the kind node image (make e2e-kind).
package tools

import (
	_ "github.com/coredns/coredns"
)
