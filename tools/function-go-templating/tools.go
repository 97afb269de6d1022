//go:build tools

// Package tools pins function-go-templating, the do-it-yourself alternative
// `make bench` compares our function with.
package tools

import _ "github.com/crossplane-contrib/function-go-templating"
