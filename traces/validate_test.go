package traces

import (
	"bytes"
	"strings"
	"testing"
)

func TestValidate(t *testing.T) {
	tests := []struct {
		name string
		in   string
		n    int64
		want []string // problems, text form
	}{
		{"ok", "0 0 1 enable\n5 1 2 irq_enter\n6 1 2 irq_enter\n7 1 2 irq_exit\n8 1 2 irq_exit\n9 0 1 disable\n", 6, nil},
		{"time back", "10 0 1 enable\n5 1 1 enable\n9 0 1 disable\n", 3, []string{"t:4: time 9 goes back from 10 on cpu 0"}},
		{"time back twice", "10 0 1 enable\n9 0 1 disable\n8 0 1 enable\n", 3, []string{"t:3: time 9 goes back from 10 on cpu 0", "t:4: time 8 goes back from 10 on cpu 0"}},
		{"irq exit without enter", "0 0 1 irq_enter\n1 0 1 irq_exit\n2 0 1 irq_exit\n", 3, []string{"t:4: irq_exit without irq_enter on cpu 0"}},
		{"irq exit on other cpu", "0 0 1 irq_enter\n1 1 1 irq_exit\n2 0 1 irq_exit\n", 3, []string{"t:3: irq_exit without irq_enter on cpu 1"}},
		{"irq open at end", "0 0 1 enable\n1 1 1 irq_enter\n2 1 1 irq_enter\n3 1 1 irq_exit\n", 4, []string{"t:3: irq_enter on cpu 1 never exited (depth 1 at the end)"}},
		{"nr zero", "0 0 1 set addr=0x1000 nr=0\n", 1, []string{"t:2: set: nr=0 covers no page"}},
		{"wraps", "0 0 1 tlbflush addr=0xfffffffffffff000 nr=2\n1 0 1 set addr=0xfffffffffffff000\n", 2, []string{"t:2: tlbflush: range 0xfffffffffffff000 + 2 pages wraps around"}},
		{"huge page set wraps", "0 0 1 set addr=0x1000 nr=2 shift=63\n", 1, []string{"t:2: set: range 0x1000 + 2 pages wraps around"}},
		{"update nr bound", "0 0 1 set addr=0x1000 nr=8192\n0 0 1 wrprotect addr=0x1000 nr=8193\n0 0 1 tlbflush addr=0x1000 nr=8193\n", 3, []string{"t:3: wrprotect: nr=8193: an update covers at most 8192 pages (one page table)"}},
		{"next out of range", "0 0 1 switch next=4294967296\n", 1, []string{"t:2: switch: next 4294967296 out of range"}},
		{"decode error last", "10 0 1 enable\n5 0 1 enable\n6 0 1 bogus\n", 2, []string{"t:3: time 5 goes back from 10 on cpu 0", "t:4: unknown op \"bogus\""}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			in := "lazymmu-trace v1\n" + tc.in
			n, err := Validate(NewTextReader(strings.NewReader(in), "t"), "t")
			if n != tc.n {
				t.Errorf("%d events, want %d", n, tc.n)
			}
			var got []string
			if err != nil {
				got = strings.Split(err.Error(), "\n")
			}
			if strings.Join(got, "|") != strings.Join(tc.want, "|") {
				t.Errorf("problems:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tc.want, "\n"))
			}
			// The same trace in binary names event indexes instead of lines.
			if tc.name == "decode error last" {
				return
			}
			bin := copyTo(t, []byte(in), "t", FormatBinary)
			_, berr := Validate(mustBytesReader(t, bin), "b")
			if (berr == nil) != (err == nil) {
				t.Fatalf("binary: %v, text: %v", berr, err)
			}
			if err != nil {
				first := err.(*Problems).List[0]
				bfirst := berr.(*Problems).List[0]
				if bfirst.Line != 0 || bfirst.Index != first.Index || bfirst.Msg != first.Msg {
					t.Errorf("binary problem %v, text %v", bfirst, first)
				}
			}
		})
	}
}

func mustBytesReader(t testing.TB, b []byte) Reader {
	t.Helper()
	r, err := NewBytesReader(b, "b")
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestValidateLimit(t *testing.T) {
	var b bytes.Buffer
	b.WriteString("100 0 1 enable\n")
	for i := 0; i < MaxProblems+5; i++ {
		b.WriteString("1 0 1 flush\n")
	}
	_, err := Validate(NewTextReader(&b, "t"), "t")
	p, ok := err.(*Problems)
	if !ok || len(p.List) != MaxProblems || p.More != 5 {
		t.Fatalf("got %v", err)
	}
	if !strings.HasSuffix(err.Error(), "\n... and 5 more problems") {
		t.Errorf("error text ends %q", err.Error()[len(err.Error())-40:])
	}
}

func TestValidatingReader(t *testing.T) {
	in := "0 0 1 enable\n1 0 1 irq_exit\n2 0 1 disable\n"
	r := NewValidatingReader(NewTextReader(strings.NewReader(in), "t"), "t")
	n, err := readAll(r)
	if n != 1 || err == nil || err.Error() != "t:2: irq_exit without irq_enter on cpu 0" {
		t.Fatalf("%d events, %v", n, err)
	}
	r = NewValidatingReader(NewTextReader(strings.NewReader("0 0 1 irq_enter\n"), "t"), "t")
	n, err = readAll(r)
	if n != 1 || err == nil || err.Error() != "t:1: irq_enter on cpu 0 never exited (depth 1 at the end)" {
		t.Fatalf("%d events, %v", n, err)
	}
}
