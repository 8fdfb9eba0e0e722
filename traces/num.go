package traces

// Number parsing from byte slices, without going through strings, so the text
// reader allocates nothing per line.

// numStatus says why a number did not parse.
type numStatus uint8

const (
	numOK     numStatus = iota
	numSyntax           // not a number at all
	numRange            // a number, but too large for 64 bits
)

// parseDec parses an unsigned decimal number.
func parseDec(b []byte) (uint64, numStatus) {
	if len(b) == 0 {
		return 0, numSyntax
	}
	var v uint64
	if len(b) <= 19 { // cannot overflow
		for _, c := range b {
			d := c - '0'
			if d > 9 {
				return 0, numSyntax
			}
			v = v*10 + uint64(d)
		}
		return v, numOK
	}
	st := numOK
	for _, c := range b {
		d := c - '0'
		if d > 9 {
			return 0, numSyntax
		}
		if v > (1<<64-1-uint64(d))/10 {
			st = numRange // keep scanning: a syntax error wins
		}
		v = v*10 + uint64(d)
	}
	if st != numOK {
		return 0, st
	}
	return v, numOK
}

// parseHex parses an unsigned hexadecimal number, with or without 0x.
func parseHex(b []byte) (uint64, numStatus) {
	if len(b) >= 2 && b[0] == '0' && (b[1] == 'x' || b[1] == 'X') {
		b = b[2:]
	}
	if len(b) == 0 {
		return 0, numSyntax
	}
	var v uint64
	digits := 0
	for _, c := range b {
		d := hexVal[c]
		if d > 15 {
			return 0, numSyntax
		}
		if digits > 0 || d != 0 {
			digits++
		}
		v = v<<4 | uint64(d)
	}
	if digits > 16 {
		return 0, numRange
	}
	return v, numOK
}

// hexVal maps a byte to its hex digit value, or 0xff.
var hexVal = func() (t [256]byte) {
	for i := range t {
		t[i] = 0xff
	}
	for c := '0'; c <= '9'; c++ {
		t[c] = byte(c - '0')
	}
	for c := 'a'; c <= 'f'; c++ {
		t[c] = byte(c - 'a' + 10)
		t[c-'a'+'A'] = byte(c - 'a' + 10)
	}
	return t
}()

// scanDec parses the decimal number at b[i:] up to the next space or the end,
// and returns it, the index after it and its status. The whole field is
// consumed even when it does not parse.
func scanDec(b []byte, i int) (uint64, int, numStatus) {
	start := i
	var v uint64
	bad := false
	for ; i < len(b) && b[i] != ' '; i++ {
		d := b[i] - '0'
		if d > 9 {
			bad = true
		}
		v = v*10 + uint64(d)
	}
	if bad || i-start > 19 || i == start {
		v, st := parseDec(b[start:i])
		return v, i, st
	}
	return v, i, numOK
}

// scanHex is scanDec for a hex number, with or without 0x.
func scanHex(b []byte, i int) (uint64, int, numStatus) {
	start := i
	if i+1 < len(b) && b[i] == '0' && b[i+1]|0x20 == 'x' {
		i += 2
	}
	digits := i
	var v uint64
	bad := false
	for ; i < len(b) && b[i] != ' '; i++ {
		d := hexVal[b[i]]
		if d > 15 {
			bad = true
		}
		v = v<<4 | uint64(d&15)
	}
	if bad || i-digits > 16 || i == digits {
		v, st := parseHex(b[start:i])
		return v, i, st
	}
	return v, i, numOK
}
