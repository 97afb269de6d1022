// Package v1alpha1 contains the API of provider-stellar-core: the PeerSync
// managed resource and the provider configs that bound where it may reach.
// +kubebuilder:object:generate=true
// +groupName=core.stellarpeers.io
// +versionName=v1alpha1
package v1alpha1
