// Package all links every architecture backend into a program: import it for
// its side effect (each backend registers itself with arch.Register from its
// init function), then look backends up with arch.Lookup / arch.New.
//
// Every backend package must be listed here, one blank import each; the
// test checks that the six contract names are registered, in contract order
// (arm64, ppc64-hash, sparc64, x86-xen, x86, s390), and that docs/costs.md
// lists every parameter.
package all

import (
	// One per backend (gofmt sorts them; arch.Names gives contract order).
	_ "github.com/lazybench/lazybench/arch/arm64"
	_ "github.com/lazybench/lazybench/arch/ppc64hash"
	_ "github.com/lazybench/lazybench/arch/s390"
	_ "github.com/lazybench/lazybench/arch/sparc64"
	_ "github.com/lazybench/lazybench/arch/x86"
	_ "github.com/lazybench/lazybench/arch/xen"
)
