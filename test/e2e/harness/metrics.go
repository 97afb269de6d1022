package harness

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// ScrapeProvider reads every metric family our provider serves on its Prometheus endpoint (on loopback).
func (cp *ControlPlane) ScrapeProvider(ctx context.Context) (map[string]*dto.MetricFamily, error) {
	if cp.ProviderMetricsURL == "" {
		return nil, errors.New("cannot scrape the provider: it was not started")
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, cp.ProviderMetricsURL, nil)
	if err != nil {
		return nil, fmt.Errorf("cannot scrape the provider: %w", err)
	}
	// The text format: the parser below reads only that.
	req.Header.Set("Accept", "text/plain;version=0.0.4")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, fmt.Errorf("cannot scrape the provider: %w", err)
	}
	defer resp.Body.Close() //nolint:errcheck // a read-only response body.
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("cannot scrape the provider: %s", resp.Status)
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	families, err := p.TextToMetricFamilies(resp.Body)
	if err != nil {
		return nil, fmt.Errorf("cannot parse the provider's metrics: %w", err)
	}
	return families, nil
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
