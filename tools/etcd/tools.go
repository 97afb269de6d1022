//go:build tools

// Package tools pins etcd, built for the local control plane used by tests.
package tools

import _ "go.etcd.io/etcd/server/v3"
