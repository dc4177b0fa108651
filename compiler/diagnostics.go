package compiler

import (
	"bufio"
	"bytes"
	"encoding/json"
	"strings"

	"github.com/rocket-sandbox/rocket-sandbox/internal/outcome"
)

// rustcDiagnostic is the part of rustc's --error-format=json we read.
type rustcDiagnostic struct {
	Message  string `json:"message"`
	Level    string `json:"level"`
	Rendered string `json:"rendered"`
	Spans    []struct {
		FileName    string `json:"file_name"`
		LineStart   int    `json:"line_start"`
		ColumnStart int    `json:"column_start"`
		IsPrimary   bool   `json:"is_primary"`
	} `json:"spans"`
}

// parseDiagnostics reads rustc's stderr: one JSON diagnostic per line,
// plus plain text from anything that is not rustc's diagnostic printer
// (an ICE, the linker). It returns at most max structured items and the
// rendered text of all of them.
func parseDiagnostics(stderr []byte, max int) ([]outcome.Diagnostic, string) {
	return parseProjectDiagnostics(stderr, max, sourceName, false)
}

// parseProjectDiagnostics is parseDiagnostics for a crate whose root is
// root; in a project (isProject), a position in any of the project's
// files counts, and names its file.
func parseProjectDiagnostics(stderr []byte, max int, root string, isProject bool) ([]outcome.Diagnostic, string) {
	var diags []outcome.Diagnostic
	var text strings.Builder
	sc := bufio.NewScanner(bytes.NewReader(stderr))
	sc.Buffer(make([]byte, 64<<10), 8<<20)
	for sc.Scan() {
		line := sc.Bytes()
		var d rustcDiagnostic
		if len(line) == 0 || line[0] != '{' || json.Unmarshal(line, &d) != nil || d.Level == "" {
			text.Write(line)
			text.WriteByte('\n')
			continue
		}
		text.WriteString(d.Rendered)
		if len(diags) >= max {
			continue
		}
		item := outcome.Diagnostic{Level: d.Level, Message: d.Message}
		for _, s := range d.Spans {
			if !s.IsPrimary {
				continue
			}
			if s.FileName == root || (isProject && !strings.HasPrefix(s.FileName, "/") && !strings.HasPrefix(s.FileName, "<")) {
				item.Line, item.Column = s.LineStart, s.ColumnStart
				if isProject {
					item.File = s.FileName
				}
				break
			}
		}
		diags = append(diags, item)
	}
	return diags, text.String()
}
