// Package svgtest holds a test helper shared by the packages that write SVG.
package svgtest

import (
	"bytes"
	"encoding/xml"
	"io"
	"testing"
)

// Check fails t unless data parses as XML whose root element is svg.
func Check(t *testing.T, name string, data []byte) {
	t.Helper()
	d := xml.NewDecoder(bytes.NewReader(data))
	root := ""
	for {
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Errorf("%s: SVG does not parse: %v", name, err)
			return
		}
		if se, ok := tok.(xml.StartElement); ok && root == "" {
			root = se.Name.Local
		}
	}
	if root != "svg" {
		t.Errorf("%s: root element %q, want svg", name, root)
	}
}
