//go:build kind

package kind

import (
	"context"
	"fmt"
	"net/netip"
	"sort"
	"strings"
	"testing"
	"text/tabwriter"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// logTable logs what `make demo` shows, read from the cluster: the peers ConfigMap, then per node its config as
// the node step's checker judged it, core's state and the PeerSync's readiness, and whom its simulated core is
// connected to (its peer table through the admin port), by name. `make demo-kind` prints these lines.
func logTable(ctx context.Context, t *testing.T, title string, nodes []node) {
	t.Helper()
	var b strings.Builder
	fmt.Fprintf(&b, "demo: ==> %s\n", title)
	if cm, err := cp.Get(ctx, configMapGVK, "stellar-system", "stellar-peers"); err == nil {
		count, _, _ := unstructured.NestedString(cm.Object, "data", "peer_count")
		txt, _, _ := unstructured.NestedString(cm.Object, "data", "peers.txt")
		fmt.Fprintf(&b, "demo:    ConfigMap stellar-system/stellar-peers: peer_count=%s, peers.txt:\n", count)
		for _, l := range strings.Split(strings.TrimSpace(txt), "\n") {
			fmt.Fprintf(&b, "demo:      %s\n", l)
		}
	}
	byAddress := map[string]string{}
	for _, n := range nodes {
		if ip, err := n.podIP(ctx); err == nil && ip != "" {
			byAddress[fmt.Sprintf("%s:%d", ip, peerPort)] = n.name
		}
	}
	var rows strings.Builder
	w := tabwriter.NewWriter(&rows, 0, 0, 2, ' ', 0)
	_, _ = fmt.Fprintln(w, "NAMESPACE\tNODE\tCONFIG\tCORE\tPEERSYNC\tCONNECTED\tCONNECTED TO")
	for _, n := range nodes {
		config, state, ready := cp.NodeRow(ctx, n.namespace, n.name)
		var names []string
		if s, err := n.simState(ctx); err == nil {
			for _, a := range append(s.Peers.AuthenticatedInbound, s.Peers.AuthenticatedOutbound...) {
				if name, ok := byAddress[a]; ok {
					names = append(names, name)
				} else if ap, err := netip.ParseAddrPort(a); err == nil {
					names = append(names, ap.String())
				}
			}
		}
		sort.Strings(names)
		_, _ = fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%d\t%s\n", n.namespace, n.name, config, state, ready, len(names), strings.Join(names, ","))
	}
	_ = w.Flush()
	for _, l := range strings.Split(strings.TrimRight(rows.String(), "\n"), "\n") {
		fmt.Fprintf(&b, "demo:    %s\n", l)
	}
	t.Log("\n" + b.String())
}
