package peers

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParseAddress(t *testing.T) {
	cases := map[string]struct {
		in      string
		want    Address
		wantErr bool
	}{
		"Host":              {in: "core.example.org", want: Address{Host: "core.example.org"}},
		"HostPort":          {in: "core.example.org:11625", want: Address{Host: "core.example.org", Port: 11625}},
		"IPv4":              {in: "10.1.2.3", want: Address{IP: "10.1.2.3"}},
		"IPv4Port":          {in: "10.1.2.3:1", want: Address{IP: "10.1.2.3", Port: 1}},
		"IPv6Bare":          {in: "2001:DB8::1", want: Address{IP: "2001:db8::1"}},
		"IPv6Bracketed":     {in: "[2001:db8::1]", want: Address{IP: "2001:db8::1"}},
		"IPv6BracketedPort": {in: "[2001:db8::1]:11625", want: Address{IP: "2001:db8::1", Port: 11625}},
		"PortTooLarge":      {in: "a.b:70000", wantErr: true},
		"PortZero":          {in: "a.b:0", wantErr: true},
		"PortSigned":        {in: "a.b:+1", wantErr: true},
		"EmptyPort":         {in: "a.b:", wantErr: true},
		"Empty":             {in: "", wantErr: true},
		"Unclosed":          {in: "[2001:db8::1", wantErr: true},
		"BracketedIPv4":     {in: "[10.0.0.1]:1", wantErr: true},
		"Junk":              {in: "a b", wantErr: true},
		"Zoned":             {in: "fe80::1%eth0", wantErr: true},
		"Unspecified":       {in: "0.0.0.0:11625", wantErr: true},
		"BadIPv4":           {in: "300.1.1.1", wantErr: true},
		"Underscore":        {in: "a_b.example", wantErr: true},
		"LeadingHyphen":     {in: "-a.example", wantErr: true},
		"TrailingDot":       {in: "a.example.", wantErr: true},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			got, err := ParseAddress(tc.in)
			if (err != nil) != tc.wantErr {
				t.Fatalf("ParseAddress(%q): err = %v, wantErr %v", tc.in, err, tc.wantErr)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("ParseAddress(%q): -want, +got:\n%s", tc.in, diff)
			}
		})
	}
}

func TestPeerStrings(t *testing.T) {
	cases := map[string]struct {
		p          Peer
		peerString string
		stable     string
	}{
		"IPAndHost": {p: Peer{Host: "a-0.a.ns.svc.cluster.local", IP: "10.0.0.1", Port: 11625}, peerString: "10.0.0.1:11625", stable: "a-0.a.ns.svc.cluster.local:11625"},
		"HostOnly":  {p: Peer{Host: "a.example", Port: 1}, peerString: "a.example:1", stable: "a.example:1"},
		"IPv6Only":  {p: Peer{IP: "2001:db8::1", Port: 11625}, peerString: "[2001:db8::1]:11625", stable: "[2001:db8::1]:11625"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			if got := tc.p.PeerString(); got != tc.peerString {
				t.Errorf("PeerString() = %q, want %q", got, tc.peerString)
			}
			if got := tc.p.StableAddress(); got != tc.stable {
				t.Errorf("StableAddress() = %q, want %q", got, tc.stable)
			}
		})
	}
}

func TestCheckShrink(t *testing.T) {
	cases := map[string]struct {
		previous, next, max int
		allow               bool
		held                bool
	}{
		"Grow":              {previous: 3, next: 4, max: 50},
		"Same":              {previous: 3, next: 3, max: 50},
		"FromNothing":       {previous: 0, next: 0, max: 50},
		"HalfIsAllowed":     {previous: 2, next: 1, max: 50},
		"TwoThirdsIsHeld":   {previous: 3, next: 1, max: 50, held: true},
		"ToZeroIsHeld":      {previous: 1, next: 0, max: 100, held: true},
		"AllowLetsThrough":  {previous: 3, next: 0, max: 50, allow: true},
		"ZeroPercentHolds":  {previous: 10, next: 9, max: 0, held: true},
		"SmallShrinkPasses": {previous: 10, next: 9, max: 10},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			got := CheckShrink(tc.previous, tc.next, tc.max, tc.allow)
			if (got != "") != tc.held {
				t.Errorf("CheckShrink(%d, %d, %d, %t) = %q, want held %t", tc.previous, tc.next, tc.max, tc.allow, got, tc.held)
			}
		})
	}
}
