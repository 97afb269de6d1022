// Package config reconciles ProviderConfigs and ClusterProviderConfigs by
// counting their users, so a config in use cannot be deleted.
package config

import (
	"k8s.io/apimachinery/pkg/runtime/schema"
	ctrl "sigs.k8s.io/controller-runtime"

	"github.com/crossplane/crossplane-runtime/v2/pkg/controller"
	"github.com/crossplane/crossplane-runtime/v2/pkg/event"
	"github.com/crossplane/crossplane-runtime/v2/pkg/ratelimiter"
	"github.com/crossplane/crossplane-runtime/v2/pkg/reconciler/providerconfig"
	"github.com/crossplane/crossplane-runtime/v2/pkg/resource"

	"github.com/stellarpeers/stellar-peers/apis/core/v1alpha1"
)

// Setup adds the ProviderConfig and ClusterProviderConfig controllers.
func Setup(mgr ctrl.Manager, o controller.Options) error {
	if err := setup(mgr, o, &v1alpha1.ProviderConfig{}, v1alpha1.ProviderConfigGroupVersionKind); err != nil {
		return err
	}
	// Usages of a ClusterProviderConfig are namespaced ProviderConfigUsages
	// in their PeerSync's namespace (crossplane-runtime's tracker for
	// namespaced managed resources writes them there), so it counts those,
	// across all namespaces, by the kind label.
	return setup(mgr, o, &v1alpha1.ClusterProviderConfig{}, v1alpha1.ClusterProviderConfigGroupVersionKind)
}

func setup(mgr ctrl.Manager, o controller.Options, of resource.ProviderConfig, config schema.GroupVersionKind) error {
	name := providerconfig.ControllerName(config.GroupKind().String())
	kinds := resource.ProviderConfigKinds{
		Config:    config,
		Usage:     v1alpha1.ProviderConfigUsageGroupVersionKind,
		UsageList: v1alpha1.ProviderConfigUsageListGroupVersionKind,
	}
	r := providerconfig.NewReconciler(mgr, kinds,
		providerconfig.WithLogger(o.Logger.WithValues("controller", name)),
		providerconfig.WithRecorder(event.NewAPIRecorder(mgr.GetEventRecorderFor(name)))) //nolint:staticcheck // crossplane-runtime's recorder takes the core/v1 events API.

	return ctrl.NewControllerManagedBy(mgr).
		Named(name).
		WithOptions(o.ForControllerRuntime()).
		For(of).
		Watches(&v1alpha1.ProviderConfigUsage{}, &resource.EnqueueRequestForProviderConfig{Kind: config.Kind}).
		Complete(ratelimiter.NewReconciler(name, r, o.GlobalRateLimiter))
}
