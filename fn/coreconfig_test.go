package main

import (
	"testing"

	"github.com/pelletier/go-toml/v2"
	"google.golang.org/protobuf/types/known/structpb"

	fnv1 "github.com/crossplane/function-sdk-go/proto/v1"

	"github.com/stellarpeers/stellar-peers/internal/structpath"
)

// coreCfg is a rendered stellar-core config, parsed: tests read keys, never
// grep for a quoting style.
type coreCfg map[string]any

// parseCfg parses a stellar-core config; one that is not TOML fails the test.
func parseCfg(t *testing.T, cfg string) coreCfg {
	t.Helper()
	out := coreCfg{}
	if err := toml.Unmarshal([]byte(cfg), &out); err != nil {
		t.Fatalf("stellar-core.cfg is not TOML: %v\n%s", err, cfg)
	}
	return out
}

// strings returns a key's array of strings; nil when absent.
func (c coreCfg) strings(key string) []string {
	list, ok := c[key].([]any)
	if !ok {
		return nil
	}
	out := make([]string, 0, len(list))
	for _, v := range list {
		s, _ := v.(string)
		out = append(out, s)
	}
	return out
}

// desiredConfig is the config of a response's core-config ConfigMap, or "".
func desiredConfig(rsp *fnv1.RunFunctionResponse) string {
	return configOf(rsp.GetDesired().GetResources()[resourceCoreConfig].GetResource())
}

func configOf(cm *structpb.Struct) string {
	return structpath.StringOr(cm, "", "data", configKey)
}
