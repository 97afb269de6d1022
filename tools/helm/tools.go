//go:build tools

// Package tools pins helm, which installs Crossplane's chart in make e2e-kind.
package tools

import (
	_ "helm.sh/helm/v3/cmd/helm"
)
