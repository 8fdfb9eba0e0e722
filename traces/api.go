package traces

import "fmt"

// Reader streams the events of one trace, in the style of bufio.Scanner:
//
//	for r.Next() {
//		ev := r.Event()
//		...
//	}
//	if err := r.Err(); err != nil { ... }
//
// Next allocates nothing per event. The Event pointer stays valid until the next
// call to Next. Strings returns the string table seen so far (index 0 is "");
// an Event's Site and Extra index into it.
type Reader interface {
	Next() bool
	Event() *Event
	Err() error
	Meta() Meta
	Strings() []string
}

// Writer writes events to a trace. Site and Extra indexes in events refer to the
// string table given by SetStrings (or added with AddString).
type Writer interface {
	// AddString interns s and returns its index for Event.Site or Event.Extra.
	AddString(s string) uint32
	Write(e *Event) error
	// Close flushes buffered data and writes trailers; it does not close the
	// underlying io.Writer.
	Close() error
}

// Error is a problem with a trace's content. It names the file, and the line
// (text) or the record index (binary), and says what is wrong. Its Error method
// prints "FILE:LINE: msg" or "FILE: event INDEX: msg".
type Error struct {
	File  string
	Line  int   // 1-based text line, 0 if not known or binary
	Index int64 // 0-based event index, -1 if not known
	Msg   string
}

// Error formats the problem as "FILE:LINE: msg" or "FILE: event INDEX: msg",
// with control characters escaped (Printable): the message may quote the
// input, and it goes to a terminal.
func (e *Error) Error() string {
	f := e.File
	if f == "" {
		f = "<trace>"
	}
	switch {
	case e.Line > 0:
		return Printable(fmt.Sprintf("%s:%d: %s", f, e.Line, e.Msg))
	case e.Index >= 0:
		return Printable(fmt.Sprintf("%s: event %d: %s", f, e.Index, e.Msg))
	default:
		return Printable(fmt.Sprintf("%s: %s", f, e.Msg))
	}
}
