package v1alpha1

import (
	"reflect"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// Package type metadata.
const (
	Group   = "core.stellarpeers.io"
	Version = "v1alpha1"
)

var (
	// SchemeGroupVersion is the group version of these types.
	SchemeGroupVersion = schema.GroupVersion{Group: Group, Version: Version}

	// SchemeBuilder registers these types with a scheme. It is apimachinery's,
	// not controller-runtime's, so that the function can build PeerSyncs from
	// these types without linking a Kubernetes client library.
	SchemeBuilder = runtime.NewSchemeBuilder(addKnownTypes)

	// AddToScheme adds these types to a scheme.
	AddToScheme = SchemeBuilder.AddToScheme
)

// The kinds the controllers are set up with. A usage of either config kind
// is a namespaced ProviderConfigUsage (see ClusterProviderConfigUsage).
var (
	PeerSyncGroupVersionKind                = SchemeGroupVersion.WithKind(reflect.TypeOf(PeerSync{}).Name())
	ProviderConfigGroupVersionKind          = SchemeGroupVersion.WithKind(reflect.TypeOf(ProviderConfig{}).Name())
	ClusterProviderConfigGroupVersionKind   = SchemeGroupVersion.WithKind(reflect.TypeOf(ClusterProviderConfig{}).Name())
	ProviderConfigUsageGroupVersionKind     = SchemeGroupVersion.WithKind(reflect.TypeOf(ProviderConfigUsage{}).Name())
	ProviderConfigUsageListGroupVersionKind = SchemeGroupVersion.WithKind(reflect.TypeOf(ProviderConfigUsageList{}).Name())
)

func addKnownTypes(s *runtime.Scheme) error {
	s.AddKnownTypes(SchemeGroupVersion,
		&PeerSync{}, &PeerSyncList{},
		&ProviderConfig{}, &ProviderConfigList{},
		&ProviderConfigUsage{}, &ProviderConfigUsageList{},
		&ClusterProviderConfig{}, &ClusterProviderConfigList{},
		&ClusterProviderConfigUsage{}, &ClusterProviderConfigUsageList{},
	)
	metav1.AddToGroupVersion(s, SchemeGroupVersion)
	return nil
}
