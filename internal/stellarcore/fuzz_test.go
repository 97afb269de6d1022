package stellarcore

import (
	"errors"
	"testing"
)

// FuzzParsers feeds every parser the same bytes: none may panic, and each
// returns either a value or one of the typed errors.
func FuzzParsers(f *testing.F) {
	for _, name := range []string{
		"connect-missing-params.txt", "connect-ok.txt", "exception.json", "info-booting.json",
		"info-catching-up.json", "info-synced.json", "peers-empty.json", "peers.json",
	} {
		f.Add(sample(f, name))
	}
	f.Add([]byte(`{"info":{"state":""}}`))
	f.Add([]byte(`{"authenticated_peers":null,"pending_peers":null}`))
	f.Add([]byte(`{"error":null,"exception":null}`))

	f.Fuzz(func(t *testing.T, body []byte) {
		checkTyped(t, "ParseInfo", func() error { _, err := ParseInfo(body); return err })
		checkTyped(t, "ParsePeers", func() error { _, err := ParsePeers(body); return err })
		checkTyped(t, "ParseConnect", func() error {
			target, err := ParseConnect(body)
			if err == nil && target == "" {
				return errors.New("accepted an empty target")
			}
			return err
		})
		checkTyped(t, "ParseDropPeer", func() error { _, err := ParseDropPeer(body); return err })
	})
}

func checkTyped(t *testing.T, name string, parse func() error) {
	t.Helper()
	err := parse()
	if err == nil {
		return
	}
	if kind := errKind(err); kind != "booting" && kind != "exception" && kind != "unexpected" {
		t.Errorf("%s returned an untyped error: %v", name, err)
	}
}
