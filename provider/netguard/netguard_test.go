package netguard

import (
	"context"
	"net"
	"net/netip"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

func ips(ss ...string) []netip.Addr {
	out := make([]netip.Addr, len(ss))
	for i, s := range ss {
		out[i] = netip.MustParseAddr(s)
	}
	return out
}

func TestAllowlistCheck(t *testing.T) {
	resolver := StaticResolver{
		"core-0.stellar.svc.cluster.local":     ips("10.0.1.5"),
		"rebind.stellar.svc.cluster.local":     ips("10.0.1.6", "169.254.169.254"),
		"outside.stellar.svc.cluster.local":    ips("192.168.9.9"),
		"v6ll.stellar.svc.cluster.local":       ips("fe80::1"),
		"core-0.team-a.svc.cluster.local":      ips("10.0.2.5"),
		"core-0.team-b.svc.cluster.local":      ips("10.0.3.5"),
		"mapped.stellar.svc.cluster.local":     ips("::ffff:169.254.169.254"),
		"loop.stellar.svc.cluster.local":       ips("127.0.0.2"),
		"stellar.svc.cluster.local.evil.test":  ips("10.0.1.5"),
		"metadata.google.internal":             ips("169.254.169.254"),
		"localhost":                            ips("127.0.0.1"),
		"kubernetes.default.svc.cluster.local": ips("10.96.0.1"),
		"nat64.stellar.svc.cluster.local":      ips("64:ff9b::a9fe:a9fe"),
		"ali.stellar.svc.cluster.local":        ips("100.100.100.200"),
	}
	cases := map[string]struct {
		cidrs, suffixes []string
		namespace       string
		host            string
		want            []netip.Addr
		wantRefused     bool
		wantErr         bool
	}{
		"EmptyAllowsNothingIP":          {host: "10.0.1.5", wantRefused: true},
		"EmptyAllowsNothingName":        {host: "core-0.stellar.svc.cluster.local", wantRefused: true},
		"IPInCIDR":                      {cidrs: []string{"10.0.0.0/16"}, host: "10.0.1.5", want: ips("10.0.1.5")},
		"IPOutsideCIDR":                 {cidrs: []string{"10.0.0.0/16"}, host: "10.1.0.1", wantRefused: true},
		"BareIPIsSlash32":               {cidrs: []string{"10.0.1.5"}, host: "10.0.1.5", want: ips("10.0.1.5")},
		"MetadataEvenIfAllowed":         {cidrs: []string{"0.0.0.0/0"}, host: "169.254.169.254", wantRefused: true},
		"LinkLocalEvenIfAllowed":        {cidrs: []string{"169.254.0.0/16"}, host: "169.254.10.1", wantRefused: true},
		"IPv6LinkLocalEvenIfAllowed":    {cidrs: []string{"::/0"}, host: "fe80::1", wantRefused: true},
		"IPv6MetadataEvenIfAllowed":     {cidrs: []string{"::/0"}, host: "fd00:ec2::254", wantRefused: true},
		"MappedMetadataEvenIfAllowed":   {cidrs: []string{"::/0", "0.0.0.0/0"}, host: "::ffff:169.254.169.254", wantRefused: true},
		"UnspecifiedEvenIfAllowed":      {cidrs: []string{"0.0.0.0/0"}, host: "0.0.0.0", wantRefused: true},
		"AlibabaMetadataEvenIfAllowed":  {cidrs: []string{"0.0.0.0/0"}, host: "100.100.100.200", wantRefused: true},
		"NAT64MetadataEvenIfAllowed":    {cidrs: []string{"::/0"}, host: "64:ff9b::a9fe:a9fe", wantRefused: true},
		"NAT64MetadataDotted":           {cidrs: []string{"::/0"}, host: "64:ff9b::169.254.169.254", wantRefused: true},
		"IPv4CompatMetadata":            {cidrs: []string{"::/0"}, host: "::169.254.169.254", wantRefused: true},
		"IPv6UnspecifiedEvenIfAllowed":  {cidrs: []string{"::/0"}, host: "::", wantRefused: true},
		"ZonedEvenIfAllowed":            {cidrs: []string{"::/0"}, host: "fe80::1%eth0", wantRefused: true},
		"BracketedMetadata":             {cidrs: []string{"::/0"}, host: "[fd00:ec2::254]", wantRefused: true},
		"NAT64PublicWhenAllowed":        {cidrs: []string{"64:ff9b::/96"}, host: "64:ff9b::a00:105", want: ips("64:ff9b::a00:105")},
		"IPv6LoopbackWhenAllowed":       {cidrs: []string{"::1/128"}, host: "::1", want: ips("::1")},
		"GCPMetadataName":               {suffixes: []string{"google.internal"}, host: "metadata.google.internal", wantRefused: true},
		"LocalhostNameNotAllowed":       {cidrs: []string{"127.0.0.0/8"}, host: "localhost", wantRefused: true},
		"ServiceOfOtherNamespace":       {suffixes: []string{"stellar.svc.cluster.local"}, host: "kubernetes.default.svc.cluster.local", wantRefused: true},
		"NameResolvingToNAT64Metadata":  {suffixes: []string{"stellar.svc.cluster.local"}, host: "nat64.stellar.svc.cluster.local", wantRefused: true},
		"NameResolvingToAlibaba":        {suffixes: []string{"stellar.svc.cluster.local"}, host: "ali.stellar.svc.cluster.local", wantRefused: true},
		"LoopbackWhenAllowed":           {cidrs: []string{"127.0.0.0/8"}, host: "127.0.0.2", want: ips("127.0.0.2")},
		"NameWithSuffix":                {suffixes: []string{"stellar.svc.cluster.local"}, host: "core-0.stellar.svc.cluster.local", want: ips("10.0.1.5")},
		"NameWithDottedSuffix":          {suffixes: []string{".stellar.svc.cluster.local."}, host: "CORE-0.stellar.svc.cluster.local.", want: ips("10.0.1.5")},
		"SuffixOnLabelBoundary":         {suffixes: []string{"svc.cluster.local"}, host: "core-0.stellar.xsvc.cluster.local", wantRefused: true},
		"SuffixNotInMiddle":             {suffixes: []string{"stellar.svc.cluster.local"}, host: "stellar.svc.cluster.local.evil.test", wantRefused: true},
		"NameResolvingToMetadata":       {suffixes: []string{"stellar.svc.cluster.local"}, host: "rebind.stellar.svc.cluster.local", wantRefused: true},
		"NameResolvingToMappedMetadata": {suffixes: []string{"stellar.svc.cluster.local"}, host: "mapped.stellar.svc.cluster.local", wantRefused: true},
		"NameResolvingToV6LinkLocal":    {suffixes: []string{"stellar.svc.cluster.local"}, host: "v6ll.stellar.svc.cluster.local", wantRefused: true},
		"NameResolvingOutsideCIDRs":     {cidrs: []string{"10.0.0.0/8"}, suffixes: []string{"stellar.svc.cluster.local"}, host: "outside.stellar.svc.cluster.local", wantRefused: true},
		"NameResolvingInsideCIDRs":      {cidrs: []string{"10.0.0.0/8"}, suffixes: []string{"stellar.svc.cluster.local"}, host: "core-0.stellar.svc.cluster.local", want: ips("10.0.1.5")},
		"NameUnresolvable":              {suffixes: []string{"stellar.svc.cluster.local"}, host: "gone.stellar.svc.cluster.local", wantErr: true},
		"OwnNamespaceToken":             {suffixes: []string{".{namespace}.svc.cluster.local"}, namespace: "team-a", host: "core-0.team-a.svc.cluster.local", want: ips("10.0.2.5")},
		"OtherNamespaceRefused":         {suffixes: []string{".{namespace}.svc.cluster.local"}, namespace: "team-a", host: "core-0.team-b.svc.cluster.local", wantRefused: true},
		"DecimalIPIsANameNotAllowed":    {cidrs: []string{"127.0.0.0/8"}, host: "2130706433", wantRefused: true},
		"ShortIPIsANameNotAllowed":      {cidrs: []string{"127.0.0.0/8"}, host: "127.1", wantRefused: true},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			a, err := NewAllowlist(tc.cidrs, tc.suffixes, tc.namespace)
			if err != nil {
				t.Fatal(err)
			}
			got, err := a.Check(context.Background(), resolver, tc.host)
			if IsRefused(err) != tc.wantRefused || (err != nil && !tc.wantRefused && !tc.wantErr) || (err == nil && tc.wantErr) {
				t.Fatalf("Check(%q) error = %v, want refused=%v err=%v", tc.host, err, tc.wantRefused, tc.wantErr)
			}
			if diff := cmp.Diff(tc.want, got, cmpopts.EquateComparable(netip.Addr{}), cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("Check: -want +got:\n%s", diff)
			}
		})
	}
}

func TestNewAllowlistRejectsBadEntries(t *testing.T) {
	cases := map[string]struct {
		cidrs, suffixes []string
		namespace       string
	}{
		"BadCIDR":          {cidrs: []string{"10.0.0.0/33"}},
		"NotAnIP":          {cidrs: []string{"example.com"}},
		"EmptySuffix":      {suffixes: []string{"."}},
		"WildcardSuffix":   {suffixes: []string{"*.svc"}},
		"TokenNoNamespace": {suffixes: []string{"{namespace}.svc"}},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			if _, err := NewAllowlist(tc.cidrs, tc.suffixes, tc.namespace); err == nil {
				t.Error("NewAllowlist accepted a bad entry")
			}
		})
	}
}

func TestGuardDialsCheckedIPs(t *testing.T) {
	a, err := NewAllowlist([]string{"127.0.0.0/8"}, []string{"stellar.test"}, "")
	if err != nil {
		t.Fatal(err)
	}
	var dialed []string
	next := func(_ context.Context, _, address string) (net.Conn, error) {
		dialed = append(dialed, address)
		c1, c2 := net.Pipe()
		_ = c2.Close()
		return c1, nil
	}
	dial := Guard(a, StaticResolver{"core.stellar.test": ips("127.0.0.3"), "evil.stellar.test": ips("10.9.9.9")}, next)
	ctx := context.Background()
	if _, err := dial(ctx, "tcp", "core.stellar.test:11626"); err != nil {
		t.Fatal(err)
	}
	for _, address := range []string{"evil.stellar.test:11626", "10.9.9.9:11626", "169.254.169.254:80", "other.test:1", "[fe80::1%lo]:80"} {
		if _, err := dial(ctx, "tcp", address); !IsRefused(err) {
			t.Errorf("dial %s: want refused, got %v", address, err)
		}
	}
	if diff := cmp.Diff([]string{"127.0.0.3:11626"}, dialed); diff != "" {
		t.Errorf("dialed: -want +got:\n%s", diff)
	}
}

func TestLoopbackOnly(t *testing.T) {
	var passed, refused []string
	next := func(_ context.Context, _, address string) (net.Conn, error) {
		passed = append(passed, address)
		c1, c2 := net.Pipe()
		_ = c2.Close()
		return c1, nil
	}
	dial := LoopbackOnly(next, func(_, address string) { refused = append(refused, address) })
	for _, address := range []string{"127.0.0.1:1", "127.5.5.5:2", "[::1]:3", "10.0.0.1:4", "localhost:5", "8.8.8.8:53", "[::ffff:10.0.0.1]:6"} {
		_, _ = dial(context.Background(), "tcp", address)
	}
	if diff := cmp.Diff([]string{"127.0.0.1:1", "127.5.5.5:2", "[::1]:3"}, passed); diff != "" {
		t.Errorf("passed: -want +got:\n%s", diff)
	}
	if diff := cmp.Diff([]string{"10.0.0.1:4", "localhost:5", "8.8.8.8:53", "[::ffff:10.0.0.1]:6"}, refused); diff != "" {
		t.Errorf("refused: -want +got:\n%s", diff)
	}
}
