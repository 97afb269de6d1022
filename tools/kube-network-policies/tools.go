//go:build tools

// Package tools pins sigs.k8s.io/kube-network-policies/cmd for the kind node image (make e2e-kind).
package tools

import (
	_ "sigs.k8s.io/kube-network-policies/cmd"
)
