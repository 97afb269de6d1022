package harness

import (
	"bufio"
	"context"
	"fmt"
	"strconv"
	"strings"

	"k8s.io/client-go/kubernetes"
)

// writeVerbs are the verbs of apiserver_request_total that change stored objects. APPLY is server-side apply.
var writeVerbs = map[string]bool{"POST": true, "PUT": true, "PATCH": true, "APPLY": true, "DELETE": true, "DELETECOLLECTION": true}

// APIWrites is how many write requests the kube-apiserver has served so far, from its own
// apiserver_request_total counter, for every client. Resource selects one resource (e.g. "configmaps"); empty
// counts all. A difference of two readings is the writes made between them, whatever the machine's load.
func (cp *ControlPlane) APIWrites(ctx context.Context, resource string) (int, error) {
	cs, err := kubernetes.NewForConfig(cp.Config)
	if err != nil {
		return 0, fmt.Errorf("cannot create a client: %w", err)
	}
	body, err := cs.RESTClient().Get().AbsPath("/metrics").DoRaw(ctx)
	if err != nil {
		return 0, fmt.Errorf("cannot read the apiserver's metrics: %w", err)
	}
	total := 0
	sc := bufio.NewScanner(strings.NewReader(string(body)))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if !strings.HasPrefix(line, "apiserver_request_total{") {
			continue
		}
		labels, value, ok := strings.Cut(strings.TrimPrefix(line, "apiserver_request_total{"), "} ")
		if !ok || !writeVerbs[metricLabel(labels, "verb")] {
			continue
		}
		if resource != "" && metricLabel(labels, "resource") != resource {
			continue
		}
		n, err := strconv.ParseFloat(value, 64)
		if err != nil {
			return 0, fmt.Errorf("cannot parse %q: %w", line, err)
		}
		total += int(n)
	}
	return total, sc.Err()
}

// metricLabel is one label's value in a Prometheus text-format label list (values hold no quotes here).
func metricLabel(labels, name string) string {
	_, rest, ok := strings.Cut(","+labels, ","+name+`="`)
	if !ok {
		return ""
	}
	v, _, _ := strings.Cut(rest, `"`)
	return v
}
