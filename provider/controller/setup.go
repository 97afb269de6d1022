// Package controller sets up all of provider-stellar-core's controllers.
package controller

import (
	ctrl "sigs.k8s.io/controller-runtime"

	"github.com/crossplane/crossplane-runtime/v2/pkg/controller"

	"github.com/stellarpeers/stellar-peers/provider/controller/config"
	"github.com/stellarpeers/stellar-peers/provider/controller/peersync"
)

// Deps are the provider's network and clock dependencies; the zero value
// uses the real network, the system resolver and the wall clock.
type Deps = peersync.Deps

// Setup adds every controller of the provider to mgr. mgr's scheme must
// hold the project's APIs (apis.AddToScheme).
func Setup(mgr ctrl.Manager, o controller.Options, deps Deps) error {
	if err := config.Setup(mgr, o); err != nil {
		return err
	}
	return peersync.Setup(mgr, o, deps)
}
