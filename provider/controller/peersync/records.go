package peersync

// Status records per desired peer (backoffs, waits) are kept in a map by peer
// name while a reconcile works on them, and written back in the desired
// peers' order, so that an unchanged state writes the same status.

// byPeer indexes records by their peer's name.
func byPeer[T any](records []T, peer func(T) string) map[string]T {
	m := make(map[string]T, len(records))
	for _, r := range records {
		m[peer(r)] = r
	}
	return m
}

// inOrder returns the records of the peers in order that have one.
func inOrder[M ~map[string]T, T any](m M, order []string) []T {
	var out []T
	for _, peer := range order {
		if r, ok := m[peer]; ok {
			out = append(out, r)
		}
	}
	return out
}
