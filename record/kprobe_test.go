package record

import (
	"strings"
	"testing"
)

func TestValidateKprobeLine(t *testing.T) {
	tests := []struct {
		line string
		ok   bool
	}{
		{"p:lazy/lazy_enter0 copy_page_range+0x7af", true},
		{"p:lazy/pte_set3 do_set_pte+0x184 ptep=%di val=%si old=+0(%di):x64", true},
		{"p:lazy/pte_wrprotect0 copy_page_range+0xb75 ptep=%r12 old=+0(%r12):x64", true},
		{"p do_sys_open", true},
		{"p:myprobe do_sys_open dfd=%ax filename=%dx flags=%cx mode=+4($stack)", true},
		{"p:grp/ev vfs_read+8 a=@jiffies b=@jiffies+8 c=$comm d=$arg1 e=\\-5 f=+0(+8(%si)):u32", true},
		{"p:grp/ev 0xffffffff81000000", true},
		{"p:grp/ev ext4:ext4_file_open", true},
		{"p:grp/ev f name=+0(%di):string arr=+0(%di):x8[4] bf=+0(%di):b4@2/32", true},
		{"r:myretprobe do_sys_open $retval", true},
		{"r10:grp/ev do_sys_open+0 rv=$retval", true},
		{"p:grp/ev do_sys_open.isra.0+0x10", true},
		{"-:lazy/pte_set0", true},
		{"", false},
		{"q:grp/ev f", false},
		{"p:grp/ev", false},                                                // no location
		{"p:grp/9ev f", false},                                             // name starts with a digit
		{"p:g-r/ev f", false},                                              // bad group
		{"p:grp/ev f+zz", false},                                           // bad offset
		{"p:grp/ev f a=%xyz", false},                                       // unknown register
		{"p:grp/ev f a=%di:x65", false},                                    // unknown type
		{"p:grp/ev f a=%di a=%si", false},                                  // duplicate name
		{"p:grp/ev f a=$retval", false},                                    // $retval outside a return probe
		{"r:grp/ev f+4", false},                                            // return probe at an offset
		{"p:grp/ev f a=+0(%di", false},                                     // unbalanced
		{"p:grp/ev f 1a=%di", false},                                       // bad argument name
		{"-:grp/ev f", false},                                              // delete with a location
		{"p:grp/" + strings.Repeat("e", 65) + " f", false},                 // too long
		{"p:grp/ev f a=+0(+0(+0(+0(+0(+0(+0(+0(+0(%di))))))))):u8", false}, // too deep
	}
	for _, tt := range tests {
		err := ValidateKprobeLine(tt.line)
		if (err == nil) != tt.ok {
			t.Errorf("ValidateKprobeLine(%q) = %v, want ok=%v", tt.line, err, tt.ok)
		}
	}
}

func FuzzValidateKprobeLine(f *testing.F) {
	for _, s := range []string{
		"p:lazy/pte_set0 do_set_pte+0x184 ptep=%di val=%si old=+0(%di):x64",
		"r:grp/ev f $retval",
		"-:grp/ev",
		"p:grp/ev f a=+0(+8(%si)):b4@2/32",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, line string) {
		err1 := ValidateKprobeLine(line)
		// Deterministic, and insensitive to how fields are separated.
		err2 := ValidateKprobeLine(strings.Join(strings.Fields(line), "  "))
		if (err1 == nil) != (err2 == nil) {
			t.Fatalf("%q: %v vs %v after re-spacing", line, err1, err2)
		}
	})
}
