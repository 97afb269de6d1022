// Command demo is `make demo`: it boots the local control plane (kube-apiserver, etcd, kube-controller-manager,
// Crossplane core, our function and provider), installs the product, applies the example directory and claims
// (examples/directories/testnet.yaml, examples/claims/) with each node's admin endpoint pointed at a simulated
// stellar-core on loopback, adds validators up to N, all at once as an Argo CD sync would, and shows the peer
// directory and each node's live connections; then it adds a validator and shows the others connect to it, with
// no restart.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"sort"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/stellarpeers/stellar-peers/test/e2e/harness"
)

var configMapGVK = schema.GroupVersionKind{Version: "v1", Kind: "ConfigMap"}

func main() {
	validators := flag.Int("validators", 5, "how many simulated validators to declare at start")
	keep := flag.Bool("keep", false, "keep the control plane running until Ctrl-C (KUBECONFIG is printed)")
	flag.Parse()
	if err := run(*validators, *keep); err != nil {
		fmt.Fprintln(os.Stderr, "demo failed:", err)
		os.Exit(1)
	}
}

func run(count int, keep bool) error {
	if count < 2 || count > 200 {
		return fmt.Errorf("cannot run with %d validators: use 2 to 200", count)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	simDir, err := os.MkdirTemp("", "stellar-demo-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(simDir) //nolint:errcheck // a temporary folder.
	sims, err := harness.NewSimNetwork(simDir)
	if err != nil {
		return err
	}
	defer sims.Close()
	cp, err := startControlPlane(ctx, sims)
	if err != nil {
		return err
	}
	defer func() {
		step("Stopping everything")
		cp.Stop()
	}()
	external, err := install(ctx, cp)
	if err != nil {
		return err
	}
	nodes, everyone, err := applyClaims(ctx, cp, sims, count, external)
	if err != nil {
		return err
	}
	if err := addLive(ctx, cp, sims, nodes, everyone, external); err != nil {
		return err
	}
	if keep {
		step("Running until Ctrl-C. Try: KUBECONFIG=" + cp.Kubeconfig + " kubectl get stellarnodes,peersyncs -A")
		<-ctx.Done()
	}
	return nil
}

func startControlPlane(ctx context.Context, sims *harness.SimNetwork) (*harness.ControlPlane, error) {
	crds, err := harness.ProductCRDDirs()
	if err != nil {
		return nil, err
	}
	step("Starting a local control plane: etcd, kube-apiserver, kube-controller-manager, Crossplane core v2.4.0, function-stellar-peers, provider-stellar-core")
	start := time.Now()
	cp, err := harness.Start(ctx, harness.Options{
		Name: "demo", ControllerManager: true, Crossplane: true, Function: true, Provider: true,
		ProviderArgs: []string{"--poll=2s", "--static-hosts=" + sims.HostsFile},
		CRDDirs:      crds,
	})
	if err != nil {
		return nil, err
	}
	fmt.Printf("   up in %s; component logs in %s\n", time.Since(start).Round(time.Second), cp.RunDir)
	return cp, nil
}

// install applies the product, a loopback ClusterProviderConfig, the
// namespaces and the Testnet directory; it returns the directory's external
// peer count.
func install(ctx context.Context, cp *harness.ControlPlane) (int, error) {
	step("Installing the XRDs (XStellarNode with claim StellarNode, StellarPeerDirectory), Compositions and a ClusterProviderConfig")
	if err := cp.InstallProduct(ctx); err != nil {
		return 0, err
	}
	if err := cp.Apply(ctx, harness.LoopbackProviderConfig()); err != nil {
		return 0, err
	}
	setup, err := harness.LoadObjects("examples/claims/namespaces.yaml", "examples/directories/testnet.yaml")
	if err != nil {
		return 0, err
	}
	if err := cp.Apply(ctx, setup...); err != nil {
		return 0, err
	}
	external := 0
	for _, o := range setup {
		peers, _, _ := unstructured.NestedSlice(o.Object, "spec", "externalPeers")
		external += len(peers)
	}
	return external, nil
}

// applyClaims applies the example claims and enough more validators to make
// count at once, waits until every validator is connected to every other, and
// shows them. It returns the validators and every node.
func applyClaims(ctx context.Context, cp *harness.ControlPlane, sims *harness.SimNetwork, count, external int) (nodes, everyone []*harness.SimNode, err error) {
	step(fmt.Sprintf("Applying the example claims and %d more validators at once, as an Argo CD sync does, each backed by a simulated stellar-core (admin API on 127.0.0.x)", max(count-3, 0)))
	examples, err := harness.LoadObjects("examples/claims/validators.yaml", "examples/claims/watcher.yaml")
	if err != nil {
		return nil, nil, err
	}
	var claims []*unstructured.Unstructured
	for _, claim := range examples {
		n, err := exampleNode(sims, claim)
		if err != nil {
			return nil, nil, err
		}
		everyone = append(everyone, n)
		if nodeType, _, _ := unstructured.NestedString(claim.Object, "spec", "nodeType"); nodeType == "Validator" {
			nodes = append(nodes, n)
		}
		claims = append(claims, claim)
	}
	for i := len(nodes) + 1; i <= count; i++ {
		ns := []string{"team-a", "team-b"}[i%2]
		n, err := sims.Start(ns, fmt.Sprintf("validator-%d", i), "")
		if err != nil {
			return nil, nil, err
		}
		nodes, everyone = append(nodes, n), append(everyone, n)
		claims = append(claims, n.Claim("Validator", "Testnet"))
	}
	start := time.Now()
	if err := cp.Apply(ctx, claims...); err != nil {
		return nil, nil, err
	}
	if err := waitConnected(ctx, nodes); err != nil {
		return nil, nil, err
	}
	if err := waitListed(ctx, cp, len(nodes)+external); err != nil {
		return nil, nil, err
	}
	fmt.Printf("   every validator connected to every other %s after the claims were applied\n", time.Since(start).Round(time.Millisecond))
	return nodes, everyone, show(ctx, cp, everyone)
}

// exampleNode starts the simulated core behind an example claim and points
// the claim at it.
func exampleNode(sims *harness.SimNetwork, claim *unstructured.Unstructured) (*harness.SimNode, error) {
	n, err := sims.Start(claim.GetNamespace(), claim.GetName(), "")
	if err != nil {
		return nil, err
	}
	if err := unstructured.SetNestedField(claim.Object, n.Core.URL(), "spec", "adminEndpoint"); err != nil {
		return nil, err
	}
	// A public address resolves to the node, as public DNS would resolve it to the validator's load balancer.
	if pa, _, _ := unstructured.NestedString(claim.Object, "spec", "publicAddress"); pa != "" {
		host, _, _ := strings.Cut(pa, ":")
		if err := sims.Alias(n, host); err != nil {
			return nil, err
		}
	}
	return n, nil
}

// addLive adds a validator to the running network and reports how long it
// took to be listed and connected, and what it cost.
func addLive(ctx context.Context, cp *harness.ControlPlane, sims *harness.SimNetwork, nodes, everyone []*harness.SimNode, external int) error {
	step("Adding a validator live: team-b/validator-new")
	newcomer, err := sims.Start("team-b", "validator-new", "")
	if err != nil {
		return err
	}
	start := time.Now()
	if err := cp.Apply(ctx, newcomer.Claim("Validator", "Testnet")); err != nil {
		return err
	}
	nodes, everyone = append(nodes, newcomer), append(everyone, newcomer)
	if err := waitListed(ctx, cp, len(nodes)+external); err != nil {
		return err
	}
	listed := time.Since(start)
	if err := waitConnected(ctx, nodes); err != nil {
		return err
	}
	fmt.Printf("   listed in the directory after %d ms; convergence: %d ms from the new claim to every validator connected to it, no restart\n",
		listed.Milliseconds(), time.Since(start).Milliseconds())
	if err := show(ctx, cp, everyone); err != nil {
		return err
	}
	redundant := 0
	for _, n := range everyone {
		redundant += n.Core.AlreadyConnectedErrors()
	}
	fmt.Printf("   connects for peers already connected or pending (core would log an ERROR): %d\n", redundant)
	held, err := cp.CircuitBreakerOpenings("testnet")
	if err != nil {
		return err
	}
	fmt.Printf("   events Crossplane's circuit breaker held back from the directory: %d\n", held)
	return nil
}

func step(msg string) { fmt.Printf("\n==> %s\n", msg) }

func waitConnected(ctx context.Context, nodes []*harness.SimNode) error {
	return harness.Eventually(ctx, 2*time.Minute, func(context.Context) (bool, string, error) {
		for _, a := range nodes {
			for _, b := range nodes {
				if a != b && !a.ConnectedTo(b) {
					return false, fmt.Sprintf("%s/%s not yet connected to %s/%s", a.Namespace, a.Name, b.Namespace, b.Name), nil
				}
			}
		}
		return true, "", nil
	})
}

// waitListed waits until the peers ConfigMap lists want peers.
func waitListed(ctx context.Context, cp *harness.ControlPlane, want int) error {
	return harness.Eventually(ctx, 2*time.Minute, func(ctx context.Context) (bool, string, error) {
		cm, err := cp.Get(ctx, configMapGVK, "stellar-system", "stellar-peers")
		if err != nil {
			return false, "", err
		}
		count, _, _ := unstructured.NestedString(cm.Object, "data", "peer_count")
		return count == fmt.Sprint(want), "peer_count is " + count, nil
	})
}

// show prints the peers ConfigMap and, per validator, core's state and its live connections.
func show(ctx context.Context, cp *harness.ControlPlane, nodes []*harness.SimNode) error {
	cm, err := cp.Get(ctx, configMapGVK, "stellar-system", "stellar-peers")
	if err != nil {
		return fmt.Errorf("cannot read the peers ConfigMap: %w", err)
	}
	count, _, _ := unstructured.NestedString(cm.Object, "data", "peer_count")
	txt, _, _ := unstructured.NestedString(cm.Object, "data", "peers.txt")
	fmt.Printf("\n   ConfigMap stellar-system/stellar-peers: peer_count=%s, peers.txt:\n", count)
	for _, line := range strings.Split(strings.TrimSpace(txt), "\n") {
		fmt.Println("     " + line)
	}
	byAddress := map[string]string{}
	for _, n := range nodes {
		byAddress[n.PeerAddress()] = n.Name
	}
	fmt.Println()
	w := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', 0)
	_, _ = fmt.Fprintln(w, "   NAMESPACE\tVALIDATOR\tCONFIG\tCORE\tPEERSYNC\tCONNECTED\tCONNECTED TO")
	for _, n := range nodes {
		// The claim's CoreConfig reason (the node step's checker), core's state and the PeerSync's Ready condition.
		config, state, ready := cp.NodeRow(ctx, n.Namespace, n.Name)
		t := n.Core.Peers()
		var names []string
		for _, a := range append(t.AuthenticatedInbound, t.AuthenticatedOutbound...) {
			if name, ok := byAddress[a]; ok {
				names = append(names, name)
			} else {
				names = append(names, a)
			}
		}
		sort.Strings(names)
		_, _ = fmt.Fprintf(w, "   %s\t%s\t%s\t%s\t%s\t%d\t%s\n", n.Namespace, n.Name, config, state, ready, len(names), strings.Join(names, ","))
	}
	return w.Flush()
}
