package docs

import (
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// row is a line of CONTRIBUTING.md's package table: its package and what it names below it.
var row = regexp.MustCompile("(?m)^\\| `([a-z0-9/]+)/` \\|(.*)\\|$")

// TestPackageMap checks that CONTRIBUTING.md's "Where things are" names every Go package of the module, each
// under the row of its closest listed parent, and lists nothing that is gone.
func TestPackageMap(t *testing.T) {
	b, err := os.ReadFile(filepath.Join(repo, "CONTRIBUTING.md"))
	if err != nil {
		t.Fatal(err)
	}
	rows := map[string]string{}
	for _, m := range row.FindAllStringSubmatch(string(b), -1) {
		rows[m[1]] = m[2]
	}
	var unmapped, gone []string
	for _, dir := range packageDirs(t) {
		if !mapped(rows, dir) {
			unmapped = append(unmapped, dir)
		}
	}
	for top := range rows {
		if _, err := os.Stat(filepath.Join(repo, top)); err != nil {
			gone = append(gone, top)
		}
	}
	slices.Sort(gone)
	if diff := cmp.Diff([]string(nil), unmapped); diff != "" {
		t.Errorf("packages CONTRIBUTING.md's package table does not name (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string(nil), gone); diff != "" {
		t.Errorf("rows of CONTRIBUTING.md's package table whose folder is gone (-want +got):\n%s", diff)
	}
}

// mapped reports whether dir has a row, or is named in backticks, relative to it, in its closest parent's row.
func mapped(rows map[string]string, dir string) bool {
	for parent := dir; parent != "."; parent = filepath.Dir(parent) {
		text, ok := rows[parent]
		if !ok {
			continue
		}
		return parent == dir || strings.Contains(text, "`"+strings.TrimPrefix(dir, parent+"/")+"/`")
	}
	return false
}

// packageDirs lists the module's folders holding Go files; tools/ (one wrapper module per pinned tool) has a row
// of its own and is not walked.
func packageDirs(t *testing.T) []string {
	t.Helper()
	seen := map[string]bool{}
	err := filepath.WalkDir(repo, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(repo, path)
		if d.IsDir() {
			switch {
			case rel == ".":
				return nil
			case rel == "tools", d.Name() == "testdata", strings.HasPrefix(d.Name(), "."), strings.HasPrefix(d.Name(), "_"):
				return filepath.SkipDir
			}
			return nil
		}
		if strings.HasSuffix(path, ".go") && filepath.Dir(rel) != "." {
			seen[filepath.ToSlash(filepath.Dir(rel))] = true
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return slices.Sorted(maps.Keys(seen))
}
