// Command provider runs provider-stellar-core: the PeerSync controller and
// the provider config usage controllers.
package main

import (
	"io"
	"time"

	"github.com/alecthomas/kong"
	"k8s.io/client-go/tools/leaderelection/resourcelock"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/healthz"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"
	"sigs.k8s.io/controller-runtime/pkg/metrics"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"

	"github.com/crossplane/crossplane-runtime/v2/pkg/controller"
	"github.com/crossplane/crossplane-runtime/v2/pkg/feature"
	"github.com/crossplane/crossplane-runtime/v2/pkg/logging"
	"github.com/crossplane/crossplane-runtime/v2/pkg/ratelimiter"
	"github.com/crossplane/crossplane-runtime/v2/pkg/reconciler/managed"
	"github.com/crossplane/crossplane-runtime/v2/pkg/statemetrics"

	"github.com/stellarpeers/stellar-peers/apis"
	stellarcontroller "github.com/stellarpeers/stellar-peers/provider/controller"
	"github.com/stellarpeers/stellar-peers/provider/netguard"
	"github.com/stellarpeers/stellar-peers/provider/statusmetrics"
)

type cli struct {
	Debug                    bool          `help:"Log at debug level, controller-runtime included." short:"d"`
	Sync                     time.Duration `help:"How often the informer cache resyncs every resource." default:"1h" short:"s"`
	Poll                     time.Duration `help:"How often each PeerSync is checked against its node." default:"1m"`
	PollStateMetric          time.Duration `help:"How often managed resource state metrics are recorded." default:"5s"`
	MaxReconcileRate         int           `help:"Global maximum reconciles per second (also concurrent reconciles)." default:"10"`
	LeaderElection           bool          `help:"Use leader election." env:"LEADER_ELECTION"`
	MetricsBindAddress       string        `help:"Address of the metrics endpoint; 0 disables it." default:":8080"`
	HealthProbeBindAddress   string        `help:"Address of the /healthz and /readyz endpoints; 0 disables them." default:":8081"`
	EnableManagementPolicies bool          `help:"Honour spec.managementPolicies." default:"true" env:"ENABLE_MANAGEMENT_POLICIES" negatable:""`
	LoopbackOnlyDial         bool          `help:"Dial and resolve through loopback addresses only (test safety net)." hidden:""`
	StaticHosts              string        `help:"Resolve peer and endpoint names from this hosts file (IP name...) instead of DNS (tests)." hidden:"" type:"existingfile"`
}

func main() {
	var c cli
	kctx := kong.Parse(&c, kong.Name("provider"), kong.Description("provider-stellar-core: health-gated live peer sync for stellar-core."))

	zl := zap.New(zap.UseDevMode(c.Debug))
	log := logging.NewLogrLogger(zl.WithName("provider-stellar-core"))
	if c.Debug {
		ctrl.SetLogger(zl)
	} else {
		// controller-runtime is very chatty at info level.
		ctrl.SetLogger(zap.New(zap.WriteTo(io.Discard)))
	}

	cfg, err := ctrl.GetConfig()
	kctx.FatalIfErrorf(err, "cannot get the API server config")

	leaseDuration, renewDeadline := 60*time.Second, 50*time.Second
	mgr, err := ctrl.NewManager(ratelimiter.LimitRESTConfig(cfg, c.MaxReconcileRate), ctrl.Options{
		Cache:                      cache.Options{SyncPeriod: &c.Sync},
		Metrics:                    metricsserver.Options{BindAddress: c.MetricsBindAddress},
		HealthProbeBindAddress:     c.HealthProbeBindAddress,
		LeaderElection:             c.LeaderElection,
		LeaderElectionID:           "crossplane-leader-election-provider-stellar-core",
		LeaderElectionResourceLock: resourcelock.LeasesResourceLock,
		LeaseDuration:              &leaseDuration,
		RenewDeadline:              &renewDeadline,
	})
	kctx.FatalIfErrorf(err, "cannot create the controller manager")
	kctx.FatalIfErrorf(apis.AddToScheme(mgr.GetScheme()), "cannot add the APIs to the scheme")
	kctx.FatalIfErrorf(mgr.AddHealthzCheck("healthz", healthz.Ping), "cannot add the health check")
	kctx.FatalIfErrorf(mgr.AddReadyzCheck("readyz", healthz.Ping), "cannot add the ready check")

	mrMetrics := managed.NewMRMetricRecorder()
	stateMetrics := statemetrics.NewMRStateMetrics()
	metrics.Registry.MustRegister(mrMetrics, stateMetrics, statusmetrics.New(mgr.GetCache()))

	o := controller.Options{
		Logger:                  log,
		MaxConcurrentReconciles: c.MaxReconcileRate,
		PollInterval:            c.Poll,
		GlobalRateLimiter:       ratelimiter.NewGlobal(c.MaxReconcileRate),
		Features:                &feature.Flags{},
		MetricOptions: &controller.MetricOptions{
			PollStateMetricInterval: c.PollStateMetric,
			MRMetrics:               mrMetrics,
			MRStateMetrics:          stateMetrics,
		},
	}
	if c.EnableManagementPolicies {
		o.Features.Enable(feature.EnableBetaManagementPolicies)
	}

	deps, err := c.dialDeps(log)
	kctx.FatalIfErrorf(err, "cannot read the static hosts file")
	kctx.FatalIfErrorf(stellarcontroller.Setup(mgr, o, deps), "cannot set up the controllers")
	kctx.FatalIfErrorf(mgr.Start(ctrl.SetupSignalHandler()), "cannot start the controller manager")
}

// dialDeps are the dialer and resolver the flags ask for; the zero Deps are
// the net package's. The ProviderConfig's allowlist guards either (connector.go).
func (c cli) dialDeps(log logging.Logger) (stellarcontroller.Deps, error) {
	var deps stellarcontroller.Deps
	if c.LoopbackOnlyDial {
		refused := func(network, address string) {
			log.Info("Refused a non-loopback dial", "network", network, "address", address)
		}
		deps.Dial = netguard.LoopbackOnly(nil, refused)
		deps.Resolver = netguard.LoopbackOnlyResolver(refused)
		log.Info("Dialing loopback addresses only")
	}
	if c.StaticHosts != "" {
		hosts, err := netguard.NewHostsFileResolver(c.StaticHosts)
		if err != nil {
			return deps, err
		}
		deps.Resolver = hosts
		log.Info("Resolving names from a static hosts file only", "path", c.StaticHosts)
	}
	return deps, nil
}
