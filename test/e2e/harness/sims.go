package harness

import (
	"crypto/ed25519"
	"crypto/sha256"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/stellarpeers/stellar-peers/internal/coresim"
	"github.com/stellarpeers/stellar-peers/internal/stellarcfg"
)

// PeerPort is the stellar-core peer port every simulated validator advertises.
const PeerPort = 11625

// simsPerBlock is how many simulated nodes share a pair of /24s: hosts .10 to .249.
const simsPerBlock = 240

// SimNetwork is a set of simulated stellar-core nodes on one fabric, so connections show on both ends. The first
// 240 nodes' admin interfaces listen on 127.0.0.<n> and their peer addresses are 127.0.1.<n>:11625, strings that
// are recorded and compared but never dialed; each further 240 take the next two /24s of 127.0.0.0/8. The hosts file maps each validator's stable cluster DNS name to that peer IP, for
// the provider's --static-hosts, so no test ever asks a DNS server for a cluster name.
type SimNetwork struct {
	Fabric    *coresim.Fabric
	HostsFile string

	mu    sync.Mutex
	nodes []*SimNode
	// aliases are further names of nodes (e.g. a spec.publicAddress host), by name.
	aliases map[string]*SimNode
}

// SimNode is one simulated validator and the claim that declares it.
type SimNode struct {
	Name, Namespace string
	PeerIP          string
	Core            *coresim.Node
}

// NewSimNetwork creates an empty network whose hosts file lives in dir.
func NewSimNetwork(dir string) (*SimNetwork, error) {
	s := &SimNetwork{Fabric: coresim.NewFabric(), HostsFile: filepath.Join(dir, "hosts")}
	if err := os.WriteFile(s.HostsFile, []byte("# simulated validators\n"), 0o600); err != nil {
		return nil, fmt.Errorf("cannot write hosts file: %w", err)
	}
	return s, nil
}

// Start starts a simulated node for claim namespace/name in the given core state ("" is Synced!).
func (s *SimNetwork) Start(namespace, name, state string) (*SimNode, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	block, host := len(s.nodes)/simsPerBlock, len(s.nodes)%simsPerBlock+10
	if 2*block+1 > 255 {
		return nil, fmt.Errorf("cannot start more than %d simulated nodes", 128*simsPerBlock)
	}
	core, err := coresim.Start(coresim.Options{Addr: fmt.Sprintf("127.0.%d.%d:0", 2*block, host), State: state})
	if err != nil {
		return nil, fmt.Errorf("cannot start simulated node %s/%s: %w", namespace, name, err)
	}
	node := &SimNode{Name: name, Namespace: namespace, PeerIP: fmt.Sprintf("127.0.%d.%d", 2*block+1, host), Core: core}
	s.Fabric.Join(core, node.PeerAddress())
	s.nodes = append(s.nodes, node)
	if err := s.writeHosts(); err != nil {
		return nil, err
	}
	return node, nil
}

// Stop stops a node's admin interface: the provider now finds it unreachable. Its peer table is lost, as when
// core stops.
func (s *SimNetwork) Stop(n *SimNode) error {
	s.Fabric.Leave(n.PeerAddress())
	if err := n.Core.Close(); err != nil {
		return fmt.Errorf("cannot stop simulated node %s/%s: %w", n.Namespace, n.Name, err)
	}
	return nil
}

// Restart starts a stopped node again on the same admin address, in the given state, with an empty peer table.
func (s *SimNetwork) Restart(n *SimNode, state string) error {
	core, err := coresim.Start(coresim.Options{Addr: n.Core.Addr(), State: state})
	if err != nil {
		return fmt.Errorf("cannot restart simulated node %s/%s: %w", n.Namespace, n.Name, err)
	}
	s.mu.Lock()
	n.Core = core
	s.mu.Unlock()
	s.Fabric.Join(core, n.PeerAddress())
	return nil
}

// Nodes returns the nodes started so far.
func (s *SimNetwork) Nodes() []*SimNode {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]*SimNode(nil), s.nodes...)
}

// Close stops every node.
func (s *SimNetwork) Close() {
	for _, n := range s.Nodes() {
		_ = n.Core.Close()
	}
}

// Alias makes host another name of node n in the hosts file, as public DNS would for a validator's
// spec.publicAddress, so that the provider resolves it to the node's peer IP.
func (s *SimNetwork) Alias(n *SimNode, host string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.aliases == nil {
		s.aliases = map[string]*SimNode{}
	}
	s.aliases[host] = n
	return s.writeHosts()
}

// writeHosts rewrites the hosts file atomically, so the provider never reads half of it. Callers hold mu.
func (s *SimNetwork) writeHosts() error {
	lines := []string{"# simulated validators"}
	for _, n := range s.nodes {
		lines = append(lines, n.PeerIP+" "+n.Host())
	}
	for host, n := range s.aliases {
		lines = append(lines, n.PeerIP+" "+host)
	}
	sort.Strings(lines[1:])
	tmp := s.HostsFile + ".tmp"
	if err := os.WriteFile(tmp, []byte(strings.Join(lines, "\n")+"\n"), 0o600); err != nil {
		return fmt.Errorf("cannot write hosts file: %w", err)
	}
	if err := os.Rename(tmp, s.HostsFile); err != nil {
		return fmt.Errorf("cannot replace hosts file: %w", err)
	}
	return nil
}

// Host is the stable DNS name the node composition gives the validator's pod.
func (n *SimNode) Host() string {
	return fmt.Sprintf("%s-0.%s.%s.svc.cluster.local", n.Name, n.Name, n.Namespace)
}

// PeerAddress is how other nodes' /peers show this node.
func (n *SimNode) PeerAddress() string { return fmt.Sprintf("%s:%d", n.PeerIP, PeerPort) }

// Claim is a StellarNode claim for this node whose admin endpoint is the simulated node. Its config is one
// stellar-core starts with, as the node step checks: a validator names its seed Secret, its own home domain
// (<name>.<namespace>.example.org, MEDIUM) and public key; a node of a public network takes the network's preset
// quorum, with UNSAFE_QUORUM where one organization runs the network; a Custom network's validator is its own
// quorum and publishes the archive it reads. Only Custom needs a passphrase set on the claim besides.
func (n *SimNode) Claim(nodeType, network string) *unstructured.Unstructured {
	spec := map[string]any{
		"nodeType":      nodeType,
		"network":       network,
		"adminEndpoint": n.Core.URL(),
	}
	if nodeType == "Validator" {
		spec["validator"] = map[string]any{
			"seedSecretRef": map[string]any{"name": n.Name + "-seed"},
			"homeDomain":    n.Name + "." + n.Namespace + ".example.org",
			"publicKey":     n.PublicKey(),
		}
	}
	switch network {
	case "Mainnet":
		spec["quorum"] = map[string]any{"preset": network}
	case "Testnet", "Futurenet":
		spec["quorum"] = map[string]any{"preset": network, "unsafe": true}
	case "Custom":
		spec["quorum"] = map[string]any{"unsafe": true}
		spec["history"] = map[string]any{"publish": true}
	}
	return &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "stellarpeers.io/v1alpha1",
		"kind":       "StellarNode",
		"metadata":   map[string]any{"name": n.Name, "namespace": n.Namespace},
		"spec":       spec,
	}}
}

// PublicKey is the node's validator key: the ed25519 key of the seed sha256("stellar-peers e2e <namespace>/<name>"),
// stable across runs and never a real validator's.
func (n *SimNode) PublicKey() string {
	sum := sha256.Sum256([]byte("stellar-peers e2e " + n.Namespace + "/" + n.Name))
	pub, _ := ed25519.NewKeyFromSeed(sum[:]).Public().(ed25519.PublicKey)
	return stellarcfg.PublicKeyStrKey(pub)
}

// ConnectedTo reports whether this node has an authenticated connection, either direction, with other.
func (n *SimNode) ConnectedTo(other *SimNode) bool {
	t := n.Core.Peers()
	for _, a := range append(t.AuthenticatedInbound, t.AuthenticatedOutbound...) {
		if a == other.PeerAddress() {
			return true
		}
	}
	return false
}
