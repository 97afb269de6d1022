// Package argocd runs the Argo CD health checks of examples/argocd/argocd-cm.yaml in a Lua VM, the way Argo CD
// does: github.com/yuin/gopher-lua, the object as the global `obj`, the script's returned table read as
// {status, message}. The unit tests run them against objects the e2e scenarios produced (testdata/), and the e2e
// tests run them against the live objects.
package argocd

import (
	"errors"
	"fmt"
	"os"
	"sort"
	"strings"

	lua "github.com/yuin/gopher-lua"
	"sigs.k8s.io/yaml"
)

// HealthKeyPrefix starts every argocd-cm key that holds a health check: the rest is <group>_<Kind>.
const HealthKeyPrefix = "resource.customizations.health."

// Argo CD's health status codes (gitops-engine pkg/health); a script that returns anything else is an error there.
const (
	Healthy     = "Healthy"
	Progressing = "Progressing"
	Degraded    = "Degraded"
	Suspended   = "Suspended"
	Missing     = "Missing"
	Unknown     = "Unknown"
)

var validStatus = map[string]bool{Healthy: true, Progressing: true, Degraded: true, Suspended: true, Missing: true, Unknown: true}

// Status is what a health check returns.
type Status struct {
	Status  string
	Message string
}

// LoadHealthChecks reads the health scripts of an argocd-cm ConfigMap file, keyed by <group>_<Kind>.
func LoadHealthChecks(path string) (map[string]string, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var cm struct {
		Data map[string]string `json:"data"`
	}
	if err := yaml.Unmarshal(raw, &cm); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	checks := map[string]string{}
	for k, v := range cm.Data {
		if key, ok := strings.CutPrefix(k, HealthKeyPrefix); ok {
			checks[key] = v
		}
	}
	if len(checks) == 0 {
		return nil, fmt.Errorf("%s: no %s* keys", path, HealthKeyPrefix)
	}
	return checks, nil
}

// CheckKey is the argocd-cm key suffix for an object: <group>_<Kind>, from its apiVersion and kind.
func CheckKey(obj map[string]any) string {
	apiVersion, _ := obj["apiVersion"].(string)
	kind, _ := obj["kind"].(string)
	group, _, found := strings.Cut(apiVersion, "/")
	if !found {
		group = "" // the core group ("v1") has no group part
	}
	return group + "_" + kind
}

// Health runs one health script against obj.
func Health(script string, obj map[string]any) (Status, error) {
	// Only the libraries a health script needs, as Argo CD opens no io, os or package library for them.
	l := lua.NewState(lua.Options{SkipOpenLibs: true})
	defer l.Close()
	for _, lib := range []struct {
		name string
		open lua.LGFunction
	}{{lua.BaseLibName, lua.OpenBase}, {lua.TabLibName, lua.OpenTable}, {lua.StringLibName, lua.OpenString}, {lua.MathLibName, lua.OpenMath}} {
		l.Push(l.NewFunction(lib.open))
		l.Push(lua.LString(lib.name))
		l.Call(1, 0)
	}
	l.SetGlobal("obj", toLua(l, obj))
	if err := l.DoString(script); err != nil {
		return Status{}, err
	}
	ret, ok := l.Get(-1).(*lua.LTable)
	if !ok {
		return Status{}, fmt.Errorf("the script returned %s, not a table", l.Get(-1).Type())
	}
	var s Status
	var errs []error
	for field, dst := range map[string]*string{"status": &s.Status, "message": &s.Message} {
		switch v := ret.RawGetString(field).(type) {
		case lua.LString:
			*dst = string(v)
		case *lua.LNilType:
		default:
			errs = append(errs, fmt.Errorf("%s is a %s, not a string", field, v.Type()))
		}
	}
	if !validStatus[s.Status] {
		errs = append(errs, fmt.Errorf("status %q is not an Argo CD health status", s.Status))
	}
	return s, errors.Join(errs...)
}

// toLua converts a decoded JSON value into Lua values as Argo CD does: objects and arrays become tables (arrays
// 1-based), numbers LNumber, null nil.
func toLua(l *lua.LState, v any) lua.LValue {
	switch v := v.(type) {
	case map[string]any:
		t := l.NewTable()
		keys := make([]string, 0, len(v))
		for k := range v {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			t.RawSetString(k, toLua(l, v[k]))
		}
		return t
	case []any:
		t := l.NewTable()
		for _, e := range v {
			t.Append(toLua(l, e))
		}
		return t
	case string:
		return lua.LString(v)
	case bool:
		return lua.LBool(v)
	case int64:
		return lua.LNumber(v)
	case int:
		return lua.LNumber(v)
	case float64:
		return lua.LNumber(v)
	case nil:
		return lua.LNil
	default:
		return lua.LString(fmt.Sprint(v))
	}
}
