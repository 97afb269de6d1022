//go:build tools

// Package tools pins the crossplane CLI (composition render, resource validate, xpkg build).
package tools

import _ "github.com/crossplane/cli/v2/cmd/crossplane"
