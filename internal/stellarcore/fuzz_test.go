package stellarcore

import (
	"errors"
	"fmt"
	"testing"
)

// FuzzParsers feeds every parser the same bytes: none may panic, and each
// returns either a value or one of the typed errors.
func FuzzParsers(f *testing.F) {
	for _, name := range []string{
		"connect-missing-params.txt", "connect-ok.txt", "exception.json", "info-booting.json",
		"info-catching-up.json", "info-synced.json", "peers-empty.json", "peers.json",
		"info-quorum-at-risk.json", "quorum-at-risk.json", "quorum-no-slot.json",
	} {
		f.Add(sample(f, name))
	}
	f.Add([]byte(`{"info":{"state":""}}`))
	f.Add([]byte(`{"authenticated_peers":null,"pending_peers":null}`))
	f.Add([]byte(`{"error":null,"exception":null}`))
	f.Add([]byte(`{"node":"s","qset":{"ledger":1,"fail_at":0,"agree":[],"value":{"t":1,"v":["a",{"t":1,"v":[]}]}}}`))

	f.Fuzz(func(t *testing.T, body []byte) {
		checkTyped(t, "ParseInfo", func() error { _, err := ParseInfo(body); return err })
		checkTyped(t, "ParsePeers", func() error { _, err := ParsePeers(body); return err })
		checkTyped(t, "ParseQuorum", func() error {
			q, err := ParseQuorum(body)
			if err == nil && (q.Node == "" || q.Agree < 0 || q.Missing < 0 || q.Delayed < 0 || q.Disagree < 0 || (q.FailAt != nil && *q.FailAt < 0)) {
				return fmt.Errorf("accepted an impossible view %+v", q)
			}
			return err
		})
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
