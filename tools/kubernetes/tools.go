//go:build tools

// Package tools pins kube-apiserver and kube-controller-manager for the local control plane used by tests.
package tools

import (
	_ "k8s.io/kubernetes/cmd/kube-apiserver"
	_ "k8s.io/kubernetes/cmd/kube-controller-manager"
)
