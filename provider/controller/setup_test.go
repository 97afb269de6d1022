package controller

import (
	"testing"

	"k8s.io/client-go/rest"
	ctrl "sigs.k8s.io/controller-runtime"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"

	xpcontroller "github.com/crossplane/crossplane-runtime/v2/pkg/controller"
	"github.com/crossplane/crossplane-runtime/v2/pkg/feature"

	"github.com/stellarpeers/stellar-peers/apis"
	"github.com/stellarpeers/stellar-peers/provider/netguard"
)

// TestSetup wires every controller into a manager that is never started, so
// scheme or watch mistakes fail here rather than in a cluster.
func TestSetup(t *testing.T) {
	// A closed loopback port: building the manager must not contact it.
	cfg := &rest.Config{Host: "http://127.0.0.1:1"}
	mgr, err := ctrl.NewManager(cfg, ctrl.Options{
		Metrics:                metricsserver.Options{BindAddress: "0"},
		HealthProbeBindAddress: "0",
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := apis.AddToScheme(mgr.GetScheme()); err != nil {
		t.Fatal(err)
	}
	o := xpcontroller.DefaultOptions()
	o.Features = &feature.Flags{}
	o.Features.Enable(feature.EnableBetaManagementPolicies)
	deps := Deps{
		Dial:     netguard.LoopbackOnly(nil, func(_, address string) { t.Errorf("non-loopback dial %s", address) }),
		Resolver: netguard.StaticResolver{},
	}
	if err := Setup(mgr, o, deps); err != nil {
		t.Fatalf("Setup: %v", err)
	}
}
