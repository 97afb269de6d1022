//go:build tools

// Package tools pins kind, the Kubernetes-in-Docker CLI that `make e2e-kind` drives through
// sigs.k8s.io/e2e-framework.
package tools

import _ "sigs.k8s.io/kind"
