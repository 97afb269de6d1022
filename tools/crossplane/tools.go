//go:build tools

// Package tools pins Crossplane core, run out of cluster by the e2e harness.
package tools

import _ "github.com/crossplane/crossplane/v2/cmd/crossplane"
