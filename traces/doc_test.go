package traces

import (
	"bytes"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/lazybench/lazybench/internal/golden"
)

const (
	docPath     = "../docs/format.md"
	docOpsBegin = "<!-- ops table: generated from traces.Ops by `go test ./traces -run TestFormatDoc -update` -->\n"
	docOpsEnd   = "<!-- end ops table -->\n"
)

// opsTable renders the Ops table as the markdown table of docs/format.md.
func opsTable() string {
	var b strings.Builder
	b.WriteString("| op | code | keys in canonical order (default; `!` = required) |\n|---|---|---|\n")
	for op := OpInvalid + 1; op < NumOps; op++ {
		var keys []string
		for _, k := range Ops[op].Keys {
			var s string
			switch {
			case k.Required:
				s = "`" + k.Name + "`!"
			case k.Field == FieldSite:
				s = "`" + k.Name + "`"
			default:
				s = fmt.Sprintf("`%s=%d`", k.Name, k.Default)
			}
			keys = append(keys, s)
		}
		if len(keys) == 0 {
			keys = []string{"none"}
		}
		fmt.Fprintf(&b, "| `%s` | %d | %s |\n", Ops[op].Name, op, strings.Join(keys, ", "))
	}
	return b.String()
}

// TestFormatDoc checks that the op table of docs/format.md matches Ops, so
// the two cannot drift; -update rewrites it.
func TestFormatDoc(t *testing.T) {
	doc, err := os.ReadFile(docPath)
	if err != nil {
		t.Fatal(err)
	}
	i := bytes.Index(doc, []byte(docOpsBegin))
	j := bytes.Index(doc, []byte(docOpsEnd))
	if i < 0 || j < i {
		t.Fatalf("%s: markers of the ops table not found", docPath)
	}
	i += len(docOpsBegin)
	golden.Check(t, docPath, append(append(append([]byte{}, doc[:i]...), opsTable()...), doc[j:]...))
}
