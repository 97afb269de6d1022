package harness

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"k8s.io/client-go/kubernetes"
)

// scrape reads every metric family a component serves on a loopback Prometheus endpoint.
func scrape(ctx context.Context, component, url string) (map[string]*dto.MetricFamily, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, fmt.Errorf("cannot scrape %s: %w", component, err)
	}
	// The text format: the parser below reads only that.
	req.Header.Set("Accept", "text/plain;version=0.0.4")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, fmt.Errorf("cannot scrape %s: %w", component, err)
	}
	defer resp.Body.Close() //nolint:errcheck // a read-only response body.
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("cannot scrape %s: %s", component, resp.Status)
	}
	return parseMetrics(component, resp.Body)
}

func parseMetrics(component string, r io.Reader) (map[string]*dto.MetricFamily, error) {
	p := expfmt.NewTextParser(model.UTF8Validation)
	families, err := p.TextToMetricFamilies(r)
	if err != nil {
		return nil, fmt.Errorf("cannot parse the metrics of %s: %w", component, err)
	}
	return families, nil
}

// sum adds up a counter family's samples whose labels keep accepts.
func sum(f *dto.MetricFamily, keep func(labels map[string]string) bool) float64 {
	total := 0.0
	for _, m := range f.GetMetric() {
		labels := make(map[string]string, len(m.GetLabel()))
		for _, l := range m.GetLabel() {
			labels[l.GetName()] = l.GetValue()
		}
		if keep(labels) {
			total += m.GetCounter().GetValue()
		}
	}
	return total
}

// ScrapeProvider reads every metric family our provider serves on its Prometheus endpoint (on loopback).
func (cp *ControlPlane) ScrapeProvider(ctx context.Context) (map[string]*dto.MetricFamily, error) {
	if cp.ProviderMetricsURL == "" {
		return nil, errors.New("cannot scrape the provider: it was not started")
	}
	return scrape(ctx, "the provider", cp.ProviderMetricsURL)
}

// ProviderRequests is how many Kubernetes API requests our provider has made so far, by HTTP method: client-go
// counts every request of every client in the process in rest_client_requests_total, which controller-runtime
// registers with the registry the provider serves.
func (cp *ControlPlane) ProviderRequests(ctx context.Context) (map[string]float64, error) {
	families, err := cp.ScrapeProvider(ctx)
	if err != nil {
		return nil, err
	}
	f, ok := families["rest_client_requests_total"]
	if !ok {
		return nil, errors.New("cannot find rest_client_requests_total in the provider's metrics")
	}
	byMethod := map[string]float64{}
	for _, m := range f.GetMetric() {
		for _, l := range m.GetLabel() {
			if l.GetName() == "method" {
				byMethod[l.GetValue()] += m.GetCounter().GetValue()
			}
		}
	}
	return byMethod, nil
}

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
	families, err := parseMetrics("the apiserver", strings.NewReader(string(body)))
	if err != nil {
		return 0, err
	}
	return int(sum(families["apiserver_request_total"], func(l map[string]string) bool {
		return writeVerbs[l["verb"]] && (resource == "" || l["resource"] == resource)
	})), nil
}

// DirectoryKind is the composite kind of StellarPeerDirectory, as Crossplane names its XR controller.
const DirectoryKind = "stellarpeerdirectories.stellarpeers.io"

// CircuitBreakerEvents is how many watch events Crossplane's circuit breaker has recorded so far for the XRs of
// one composite kind (e.g. DirectoryKind), whatever the outcome, from Crossplane's own
// circuit_breaker_events_total (internal/circuit/circuit_metrics.go in the pinned module). With one XR of that
// kind, it is every event that XR saw: changes to what it requires, to what it composes and to itself.
func (cp *ControlPlane) CircuitBreakerEvents(ctx context.Context, compositeKind string) (int, error) {
	port := ""
	for _, p := range cp.procs {
		if p.name != "crossplane" {
			continue
		}
		for _, a := range p.cmd.Args[1:] {
			if v, ok := strings.CutPrefix(a, "--metrics-port="); ok {
				port = v
			}
		}
	}
	if port == "" {
		return 0, errors.New("cannot read Crossplane's metrics: it is not running")
	}
	families, err := scrape(ctx, "Crossplane", "http://127.0.0.1:"+port+"/metrics")
	if err != nil {
		return 0, err
	}
	return int(sum(families["circuit_breaker_events_total"], func(l map[string]string) bool {
		return l["controller"] == "composite/"+compositeKind
	})), nil
}
