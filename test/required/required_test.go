package required

import (
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// recorder is a testing.TB that records how the test ended instead of ending the real one.
type recorder struct {
	testing.TB
	ended string
}

func (r *recorder) Helper() {}

func (r *recorder) Fatal(...any) {
	r.ended = "failed"
	panic(r)
}

func (r *recorder) Skip(...any) {
	r.ended = "skipped"
	panic(r)
}

// run calls Path with r and returns what it returned, or how it ended the test.
func run(r *recorder, env string) (got string) {
	defer func() {
		if v := recover(); v != nil {
			if v != r {
				panic(v)
			}
			got = r.ended
		}
	}()
	return Path(r, env, "a hint")
}

func TestPath(t *testing.T) {
	existing := t.TempDir()
	cases := map[string]struct {
		reason       string
		value        string
		requireTools string
		want         string
	}{
		"Found": {
			reason: "An existing path is returned.",
			value:  existing,
			want:   existing,
		},
		"UnsetSkips": {
			reason: "Without make, an unset variable skips the test.",
			want:   "skipped",
		},
		"MissingSkips": {
			reason: "Without make, a variable naming nothing skips the test.",
			value:  filepath.Join(existing, "absent"),
			want:   "skipped",
		},
		"UnsetFailsUnderMake": {
			reason:       "Under make, an unset variable fails the test.",
			requireTools: "1",
			want:         "failed",
		},
		"MissingFailsUnderMake": {
			reason:       "Under make, a variable naming nothing fails the test.",
			value:        filepath.Join(existing, "absent"),
			requireTools: "1",
			want:         "failed",
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			t.Setenv("REQUIRED_TEST_PATH", tc.value)
			t.Setenv(EnvRequireTools, tc.requireTools)
			if diff := cmp.Diff(tc.want, run(&recorder{TB: t}, "REQUIRED_TEST_PATH")); diff != "" {
				t.Errorf("%s\nPath(...): -want, +got:\n%s", tc.reason, diff)
			}
		})
	}
}
