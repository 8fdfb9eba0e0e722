package ftrace

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"math"
	"os"
	"strings"
)

// trace-cmd report's text (trace-cmd 3.1, tracecmd/trace-read.c and
// libtraceevent) differs from tracefs's in five ways, all read here:
//
//   - header lines "version = N" and "cpus=N" before the events;
//   - lost events as a line "CPU:N [M EVENTS DROPPED]" (or "CPU:N [EVENTS
//     DROPPED]" when the count is unknown) before the next event of that CPU;
//   - a kprobe's site printed from its print fmt "(%lx)": the address, not
//     func+off/size (Options.Sites maps the probe's name back to its function);
//   - trace_marker text as the ftrace "print" event: "print:
//     tracing_mark_write: TEXT";
//   - sched_switch through libtraceevent's sched_switch plugin: "PREV:PID
//     [PRIO] S ==> NEXT:PID [PRIO]" instead of key=value fields.

var (
	droppedSuffix = []byte("EVENTS DROPPED]")
	printMark     = []byte("tracing_mark_write:")
	switchArrow   = []byte(" ==> ")
)

// traceCmdHeader reports whether t is one of trace-cmd report's header lines.
func traceCmdHeader(t []byte) bool {
	if v, ok := bytes.CutPrefix(t, []byte("cpus=")); ok {
		_, ok := atou(v)
		return ok
	}
	if v, ok := bytes.CutPrefix(t, []byte("version = ")); ok {
		_, ok := atou(v)
		return ok
	}
	return false
}

// droppedMarker parses "CPU:N [M EVENTS DROPPED]" / "CPU:N [EVENTS DROPPED]";
// ok is false for any other line.
func (im *importer) droppedMarker(t []byte) (bool, error) {
	if !bytes.HasPrefix(t, lostPrefix) || !bytes.HasSuffix(t, droppedSuffix) {
		return false, nil
	}
	cpu, mid, found := bytes.Cut(t[len(lostPrefix):len(t)-len(droppedSuffix)], []byte(" ["))
	c, ok := atou(cpu)
	if !found || !ok {
		return true, im.errorf("malformed dropped-events marker %q", t)
	}
	mid = bytes.TrimSuffix(mid, []byte{' '})
	if len(mid) == 0 {
		return true, im.lost(0, fmt.Sprintf("cpu %d dropped events (count unknown)", c))
	}
	n, ok := atou(mid)
	if !ok {
		return true, im.errorf("malformed dropped-events marker %q", t)
	}
	return true, im.lost(int64(min(n, math.MaxInt64)), fmt.Sprintf("cpu %d dropped %d events", c, n))
}

// printAsMark turns trace-cmd's "print: tracing_mark_write: TEXT" into the
// tracing_mark_write event's name and text.
func printAsMark(name, rest []byte) ([]byte, []byte) {
	if string(name) != "print" {
		return name, rest
	}
	if text, ok := bytes.CutPrefix(bytes.TrimLeft(rest, " "), printMark); ok {
		return printMark[:len(printMark)-1], text
	}
	return name, rest
}

// switchPluginNext reads the next task's pid from the sched_switch plugin's
// "PREV:PID [PRIO] S ==> NEXT:PID [PRIO]" (a task name may hold ':' and
// spaces: the pid is after the last ':' before the final " [").
func switchPluginNext(rest []byte) (uint64, bool) {
	i := bytes.LastIndex(rest, switchArrow)
	if i < 0 {
		return 0, false
	}
	next := bytes.TrimSpace(rest[i+len(switchArrow):])
	if k := bytes.LastIndex(next, []byte(" [")); k >= 0 {
		next = next[:k]
	}
	k := bytes.LastIndexByte(next, ':')
	if k < 0 {
		return 0, false
	}
	return atou(next[k+1:])
}

// siteFromAddr returns the function the probe name was defined on when s is
// a bare hex address (trace-cmd's "(%lx)"), else s.
func (im *importer) siteFromAddr(name, s []byte) []byte {
	if len(im.opt.Sites) == 0 || len(s) == 0 {
		return s
	}
	for _, c := range s {
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return s
		}
	}
	if fn, ok := im.opt.Sites[string(name)]; ok {
		return []byte(fn)
	}
	return s
}

// maxProbeLines bounds a probes file.
const maxProbeLines = 1 << 16

// LoadProbeSites reads the kprobe_events file at path (ReadProbeSites).
func LoadProbeSites(path string) (map[string]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return ReadProbeSites(f, path)
}

// ReadProbeSites reads a kprobe_events file ("p:GROUP/EVENT SYM+OFF ...",
// '#' lines ignored, as lazybench record probes writes it) and returns each
// event's function, for Options.Sites. name is used in error messages.
func ReadProbeSites(r io.Reader, name string) (map[string]string, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 4096), 64<<10)
	out := map[string]string{}
	line := 0
	for sc.Scan() {
		line++
		f := strings.Fields(sc.Text())
		if len(f) == 0 || strings.HasPrefix(f[0], "#") {
			continue
		}
		if line > maxProbeLines {
			return nil, fmt.Errorf("%s:%d: more than %d lines", name, line, maxProbeLines)
		}
		_, ev, ok := strings.Cut(f[0], "/")
		if len(f) < 2 || !ok || ev == "" || (f[0][0] != 'p' && f[0][0] != 'r') {
			return nil, fmt.Errorf("%s:%d: want \"p:GROUP/EVENT SYM[+OFF] ...\", got %q", name, line, sc.Text())
		}
		sym, _, _ := strings.Cut(f[1], "+")
		out[ev] = sym
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%s:%d: %v", name, line+1, err)
	}
	return out, nil
}
