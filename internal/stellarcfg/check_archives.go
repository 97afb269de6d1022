package stellarcfg

// Line numbers are of src/main/Config.cpp at
// a9b8613218e141ddb89d621e5f04d4c75a149d36 unless another file is named.

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
)

// archive is a [HISTORY.<name>] table (key "HISTORY.<name>") or a
// validator's HISTORY (key "VALIDATORS[i].HISTORY", get only).
type archive struct {
	key, get, put, mkdir string
}

func (a archive) getKey() string {
	if strings.HasSuffix(a.key, ".HISTORY") {
		return a.key
	}
	return a.key + ".get"
}

// history reads the [HISTORY.<name>] tables (line 1545).
func (c *checker) history() {
	v, ok := c.doc["HISTORY"]
	if !ok {
		return
	}
	h, ok := v.(map[string]any)
	if !ok {
		c.add("HISTORY", RuleHistory, true, "must be [HISTORY.<name>] tables")
		return
	}
	for _, name := range slices.Sorted(maps.Keys(h)) {
		key := "HISTORY." + name
		t, ok := h[name].(map[string]any)
		if !ok {
			c.add(key, RuleHistory, true, "must be a table with get, put and mkdir commands")
			continue
		}
		a := archive{key: key}
		into := map[string]*string{"get": &a.get, "put": &a.put, "mkdir": &a.mkdir}
		for _, f := range slices.Sorted(maps.Keys(t)) {
			field, known := into[f]
			if !known {
				c.add(key+"."+f, RuleHistory, true, "is not an archive field (get, put, mkdir)")
				continue
			}
			s, isString := t[f].(string)
			if !isString {
				// Core reads it without a type check and crashes.
				c.add(key+"."+f, RuleType, true, "must be a string, not %s", typeName(t[f]))
				continue
			}
			*field = s
		}
		c.archives[name] = a
	}
}

// sensibleHistory is HistoryArchiveManager::checkSensibleConfig
// (src/history/HistoryArchiveManager.cpp line 32 at the same commit), which
// setupApp runs before starting (src/main/ApplicationUtils.cpp line 102): a
// false result ends the process.
func (c *checker) sensibleHistory() {
	readable := 0
	for _, name := range slices.Sorted(maps.Keys(c.archives)) {
		a := c.archives[name]
		switch {
		case a.get == "" && a.put == "":
			c.add(a.key, RuleArchive, true, "has neither a get nor a put command")
		case a.get == "":
			c.add(a.key, RuleArchive, true, "has a put but no get command, so it cannot be written")
		default:
			readable++
		}
		c.checkCommand(a.getKey(), a.get, "remote path", "local path")
		c.checkCommand(a.key+".put", a.put, "local path", "remote path")
		c.checkCommand(a.key+".mkdir", a.mkdir, "remote directory")
	}
	if readable == 0 && !c.standalone {
		c.add("HISTORY", RuleNoReadableArchive, true, "has no archive with a get command (and no validator has HISTORY): core cannot catch up")
	}
}

// checkCommand checks an archive command as core fills it in with
// fmt::format (src/history/HistoryArchive.cpp formatString, line 40): {0}
// and {1} are the remote and local paths of get and put, {0} the directory
// of mkdir. A command core cannot format fails when core runs it; one that
// leaves out a path cannot move the file.
func (c *checker) checkCommand(key, cmd string, args ...string) {
	if cmd == "" {
		return
	}
	used, err := formatArgs(cmd, len(args))
	if err != nil {
		c.add(key, RuleArchiveCommand, false, "cannot be filled in: %v", err)
		return
	}
	for i, name := range args {
		if !used[i] {
			c.add(key, RuleArchiveCommand, false, "does not use {%d}, the %s", i, name)
		}
	}
}

// formatArgs reads a fmt format string: "{{" and "}}" are braces, "{}" the
// next argument, "{N}" or "{N:spec}" argument N. It returns which of args
// arguments the string uses.
func formatArgs(s string, args int) ([]bool, error) {
	used := make([]bool, args)
	next, manual, auto := 0, false, false
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '}':
			if i+1 < len(s) && s[i+1] == '}' {
				i++
				continue
			}
			return nil, errors.New("'}' without '{' (write '}}' for a brace)")
		case '{':
			if i+1 < len(s) && s[i+1] == '{' {
				i++
				continue
			}
			end := strings.IndexByte(s[i:], '}')
			if end < 0 {
				return nil, errors.New("'{' without '}' (write '{{' for a brace)")
			}
			field := s[i+1 : i+end]
			if colon := strings.IndexByte(field, ':'); colon >= 0 {
				field = field[:colon]
			}
			n := next
			if field == "" {
				auto = true
				next++
			} else {
				v, err := strconv.Atoi(field)
				if err != nil || v < 0 {
					return nil, fmt.Errorf("{%s} is not an argument", field)
				}
				manual, n = true, v
			}
			if auto && manual {
				return nil, errors.New("mixes {} and {N}")
			}
			if n >= args {
				return nil, fmt.Errorf("{%d} is not an argument: there are %d", n, args)
			}
			used[n] = true
			i += end
		}
	}
	return used, nil
}
