// Package all links every architecture backend into a program: import it for
// its side effect (each backend registers itself with arch.Register from its
// init function), then look backends up with arch.Lookup / arch.New.
//
// Every backend package must be listed here, one blank import each. Its
// arch.Info is the one description of the backend the rest of the program
// reads; the tests check every registered Info (TestInfoComplete: a doc page
// docs/arch/NAME.md, counters, a distinct colour, page sizes, a label for a
// proposal), that every backend package under arch/ is registered, and that
// docs/costs.md lists every parameter.
//
// Adding a backend touches three places: its package arch/NAME (which
// registers its Info from init), docs/arch/NAME.md, and one line here.
package all

import (
	// One per backend (gofmt sorts them; arch.Names gives contract order).
	_ "github.com/lazybench/lazybench/arch/arm64"
	_ "github.com/lazybench/lazybench/arch/arm64kpkeys"
	_ "github.com/lazybench/lazybench/arch/ppc64hash"
	_ "github.com/lazybench/lazybench/arch/s390"
	_ "github.com/lazybench/lazybench/arch/sparc64"
	_ "github.com/lazybench/lazybench/arch/x86"
	_ "github.com/lazybench/lazybench/arch/xen"
)
