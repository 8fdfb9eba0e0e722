package archtest_test

import (
	"strings"
	"testing"

	"github.com/lazybench/lazybench/arch/archtest"
	"github.com/lazybench/lazybench/arch/x86"
)

func TestExecErrors(t *testing.T) {
	d := archtest.New(x86.New(nil))
	for _, tc := range []struct{ line, want string }{
		{"bogus", `unknown command "bogus"`},
		{"set addr=zz", `addr=zz`},
		{"set nope=1", `set has no key "nope"`},
		{"repeat x set addr=1", `bad count "x"`},
		{"on task=1", `on needs cpu=`},
		{"switch", `switch needs next=`},
		{"lazy 2", `lazy 0|1`},
		{"expect nosuch=1", `unknown quantity "nosuch"`},
		{"expect immediate=5", `immediate = 0, want 5`},
	} {
		err := d.Exec(tc.line)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: error %v, want %q", tc.line, err, tc.want)
		}
	}
}

func TestDriverState(t *testing.T) {
	d := archtest.New(x86.New(nil))
	for _, l := range []string{"on cpu=2 task=7", "wait 100", "enter", "repeat 3 set addr=1000 nr=2", "irq_enter"} {
		if err := d.Exec(l); err != nil {
			t.Fatal(err)
		}
	}
	c := d.Ctx()
	if c.CPU != 2 || c.Task != 7 || !c.Lazy || !c.InIRQ || c.Now != 106 {
		t.Errorf("Ctx = %+v, want cpu 2 task 7 lazy irq now 106 (100 + 3 updates of 2 PTEs at 1 ns)", *c)
	}
	if err := d.Exec("expect immediate=3 cost=6 now=106"); err != nil {
		t.Error(err)
	}
}
