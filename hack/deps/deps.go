// Package deps pins the main module's dependencies while the packages that use them are being written.
// Remove it once every import below has a real user.
package deps

import (
	_ "github.com/crossplane/crossplane-runtime/v2/pkg/reconciler/managed"
	_ "github.com/crossplane/crossplane/apis/v2/apiextensions/v1"
	_ "github.com/crossplane/crossplane/apis/v2/pkg/v1"
	_ "github.com/crossplane/function-sdk-go"
	_ "github.com/crossplane/function-sdk-go/request"
	_ "github.com/crossplane/function-sdk-go/response"
	_ "github.com/alecthomas/kong"
	_ "github.com/google/go-cmp/cmp"
	_ "k8s.io/client-go/kubernetes"
	_ "sigs.k8s.io/controller-runtime/pkg/envtest"
)
