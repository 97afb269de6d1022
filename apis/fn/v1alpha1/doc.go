// Package v1alpha1 contains the input types of function-stellar-peers. A
// pipeline step picks its behaviour by the kind of its input: DirectoryInput
// composes a peer directory, NodeInput composes one stellar-core node.
// +kubebuilder:object:generate=true
// +groupName=fn.stellarpeers.io
// +versionName=v1alpha1
package v1alpha1

import "k8s.io/apimachinery/pkg/runtime/schema"

// Group and version of the input types.
const (
	Group   = "fn.stellarpeers.io"
	Version = "v1alpha1"
)

// Kinds of the input types.
const (
	DirectoryInputKind = "DirectoryInput"
	NodeInputKind      = "NodeInput"
)

// SchemeGroupVersion is the input types' group and version.
var SchemeGroupVersion = schema.GroupVersion{Group: Group, Version: Version}
