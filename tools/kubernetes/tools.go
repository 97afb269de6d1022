//go:build tools

// Package tools pins kube-apiserver and kube-controller-manager for the local control plane used by tests, and
// the rest of a kind node's Kubernetes (kubelet, kubeadm, kubectl, kube-scheduler, kube-proxy) for make e2e-kind.
package tools

import (
	_ "k8s.io/kubernetes/cmd/kube-apiserver"
	_ "k8s.io/kubernetes/cmd/kube-controller-manager"
	_ "k8s.io/kubernetes/cmd/kube-proxy"
	_ "k8s.io/kubernetes/cmd/kube-scheduler"
	_ "k8s.io/kubernetes/cmd/kubeadm"
	_ "k8s.io/kubernetes/cmd/kubectl"
	_ "k8s.io/kubernetes/cmd/kubelet"
)
