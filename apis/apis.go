// Package apis aggregates the project's Go API types.
package apis

import (
	"k8s.io/apimachinery/pkg/runtime"

	corev1alpha1 "github.com/stellarpeers/stellar-peers/apis/core/v1alpha1"
)

// AddToSchemes adds every API group of the project to a scheme.
var AddToSchemes = runtime.SchemeBuilder{
	corev1alpha1.SchemeBuilder.AddToScheme,
}

// AddToScheme adds every API group of the project to s.
func AddToScheme(s *runtime.Scheme) error {
	return AddToSchemes.AddToScheme(s)
}
