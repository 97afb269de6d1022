package readme

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"
)

var repo = filepath.Join("..", "..")

// TestInstallScriptMatchesThePackages: the README's install sequence, as users copy it, names what the packages
// and Compositions name: the Function as the Compositions call it, each package by its repository, files that
// exist, and, in its waits, every CRD and XRD the later steps use. The kind e2e test runs the same script.
func TestInstallScriptMatchesThePackages(t *testing.T) {
	script, err := InstallScript(filepath.Join(repo, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	cmds := Commands(script)
	installs := map[string][]string{} // kind -> [reference, name]
	var waited []string
	for _, c := range cmds {
		f := strings.Fields(c)
		switch {
		case len(f) >= 5 && f[0] == "crossplane" && f[1] == "xpkg" && f[2] == "install":
			installs[f[3]] = []string{f[4], f[5]}
		case len(f) > 2 && f[0] == "kubectl" && f[1] == "wait":
			for _, a := range f[2:] {
				if strings.Contains(a, "/") && !strings.HasPrefix(a, "--") {
					waited = append(waited, a)
				}
			}
		}
		for _, m := range regexp.MustCompile(`-f (\S+)`).FindAllStringSubmatch(c, -1) {
			if _, err := os.Stat(filepath.Join(repo, m[1])); err != nil {
				t.Errorf("%q: %s does not exist", c, m[1])
			}
		}
	}

	functionRefs := map[string]bool{}
	for _, f := range []string{"composition-xstellarnode.yaml", "composition-stellarpeerdirectory.yaml"} {
		var comp struct {
			Spec struct {
				Pipeline []struct {
					FunctionRef struct{ Name string } `json:"functionRef"`
				}
			}
		}
		readYAML(t, filepath.Join(repo, "apis", "stellarpeers", f), &comp)
		for _, s := range comp.Spec.Pipeline {
			functionRefs[s.FunctionRef.Name] = true
		}
	}
	for kind, dir := range map[string]string{"function": "package/function", "provider": "package/provider", "configuration": "."} {
		got, ok := installs[kind]
		if !ok {
			t.Errorf("the install script does not install the %s", kind)
			continue
		}
		var meta struct{ Metadata struct{ Name string } }
		readYAML(t, filepath.Join(repo, dir, "crossplane.yaml"), &meta)
		if !strings.Contains(got[0], "/"+meta.Metadata.Name+":") {
			t.Errorf("the %s is installed from %s, not from the repository %s", kind, got[0], meta.Metadata.Name)
		}
		if got[1] != meta.Metadata.Name {
			t.Errorf("the %s is installed as %q, want %q", kind, got[1], meta.Metadata.Name)
		}
		if kind == "function" && !functionRefs[got[1]] {
			t.Errorf("the Function is installed as %q; the Compositions call %v", got[1], functionRefs)
		}
	}

	var want []string
	crds, err := filepath.Glob(filepath.Join(repo, "package", "provider", "crds", "*.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range crds {
		name := strings.TrimSuffix(filepath.Base(f), ".yaml")
		group, plural, _ := strings.Cut(name, "_")
		if plural == "peersyncs" || plural == "providerconfigs" || plural == "clusterproviderconfigs" {
			want = append(want, "crd/"+plural+"."+group)
		}
	}
	want = append(want, "compositeresourcedefinition/xstellarnodes.stellarpeers.io", "compositeresourcedefinition/stellarpeerdirectories.stellarpeers.io",
		"crd/xstellarnodes.stellarpeers.io", "crd/stellarnodes.stellarpeers.io", "crd/stellarpeerdirectories.stellarpeers.io")
	for _, w := range want {
		if !slices.Contains(waited, w) {
			t.Errorf("the install script never waits for %s (it waits for %v)", w, waited)
		}
	}
}

func TestCommands(t *testing.T) {
	got := Commands("# a comment\n\nkubectl wait --for=x \\\n  crd/a crd/b\necho done\n")
	want := []string{"kubectl wait --for=x crd/a crd/b", "echo done"}
	if !slices.Equal(got, want) {
		t.Errorf("Commands = %q, want %q", got, want)
	}
}

func readYAML(t *testing.T, path string, into any) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := yaml.Unmarshal(b, into); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}
