// Package readme reads the README's install sequence, so that tests check it and run it as users would.
package readme

import (
	"fmt"
	"os"
	"strings"
)

// installHeading is the section whose first sh block is the install sequence.
const installHeading = "## Install and upgrade, step by step"

// InstallScript returns the sh block of the README's install section, verbatim.
func InstallScript(readmePath string) (string, error) {
	b, err := os.ReadFile(readmePath)
	if err != nil {
		return "", fmt.Errorf("cannot read the README: %w", err)
	}
	text := string(b)
	i := strings.Index(text, "\n"+installHeading+"\n")
	if i < 0 {
		return "", fmt.Errorf("%s has no section %q", readmePath, installHeading)
	}
	section := text[i+1:]
	if next := strings.Index(section[len(installHeading):], "\n## "); next >= 0 {
		section = section[:len(installHeading)+next]
	}
	start := strings.Index(section, "\n```sh\n")
	if start < 0 {
		return "", fmt.Errorf("section %q has no ```sh block", installHeading)
	}
	body := section[start+len("\n```sh\n"):]
	end := strings.Index(body, "\n```")
	if end < 0 {
		return "", fmt.Errorf("section %q has an unclosed ```sh block", installHeading)
	}
	return body[:end+1], nil
}

// Commands are the script's commands, one per entry, with comments and blank lines left out and continued
// lines joined.
func Commands(script string) []string {
	var out []string
	var cur strings.Builder
	for _, line := range strings.Split(script, "\n") {
		trimmed := strings.TrimSpace(line)
		if cur.Len() == 0 && (trimmed == "" || strings.HasPrefix(trimmed, "#")) {
			continue
		}
		if strings.HasSuffix(trimmed, "\\") {
			cur.WriteString(strings.TrimSuffix(trimmed, "\\"))
			continue
		}
		cur.WriteString(trimmed)
		out = append(out, cur.String())
		cur.Reset()
	}
	return out
}
