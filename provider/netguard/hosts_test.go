package netguard

import (
	"net/netip"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestReadHostsFile(t *testing.T) {
	cases := map[string]struct {
		content string
		want    StaticResolver
		wantErr bool
	}{
		"NamesAndComments": {
			content: "# simulated validators\n127.0.1.1 alice-0.alice.team-a.svc.cluster.local alice\n\n127.0.1.2 bob # inline\n",
			want: StaticResolver{
				"alice-0.alice.team-a.svc.cluster.local": {netip.MustParseAddr("127.0.1.1")},
				"alice":                                  {netip.MustParseAddr("127.0.1.1")},
				"bob":                                    {netip.MustParseAddr("127.0.1.2")},
			},
		},
		"RepeatedNameKeepsBoth": {
			content: "127.0.1.1 a\n::1 a\n",
			want:    StaticResolver{"a": {netip.MustParseAddr("127.0.1.1"), netip.MustParseAddr("::1")}},
		},
		"BadIP":     {content: "not-an-ip name\n", wantErr: true},
		"NoName":    {content: "127.0.0.1\n", wantErr: true},
		"EmptyFile": {content: "", want: StaticResolver{}},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "hosts")
			if err := os.WriteFile(path, []byte(tc.content), 0o600); err != nil {
				t.Fatal(err)
			}
			got, err := ReadHostsFile(path)
			if (err != nil) != tc.wantErr {
				t.Fatalf("ReadHostsFile() error = %v, wantErr %v", err, tc.wantErr)
			}
			if diff := cmp.Diff(tc.want, got, cmp.Comparer(func(a, b netip.Addr) bool { return a == b })); diff != "" {
				t.Errorf("ReadHostsFile() -want +got:\n%s", diff)
			}
		})
	}
}

func TestHostsFileResolverReloads(t *testing.T) {
	path := filepath.Join(t.TempDir(), "hosts")
	if err := os.WriteFile(path, []byte("127.0.1.1 alice\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	r, err := NewHostsFileResolver(path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.LookupNetIP(t.Context(), "ip", "bob"); err == nil {
		t.Fatal("bob resolved before it was added")
	}
	if err := os.WriteFile(path, []byte("127.0.1.1 alice\n127.0.1.2 bob\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	got, err := r.LookupNetIP(t.Context(), "ip", "bob")
	if err != nil {
		t.Fatalf("bob did not resolve after the file changed: %v", err)
	}
	if diff := cmp.Diff([]netip.Addr{netip.MustParseAddr("127.0.1.2")}, got, cmp.Comparer(func(a, b netip.Addr) bool { return a == b })); diff != "" {
		t.Errorf("LookupNetIP(bob) -want +got:\n%s", diff)
	}
}
