// Package all links every architecture backend into a program: import it for
// its side effect (each backend registers itself with arch.Register from its
// init function), then look backends up with arch.Lookup / arch.New.
//
// Every backend package must be listed here, one blank import each, in
// contract order: arm64, ppc64-hash, sparc64, x86-xen, x86, s390.
package all

import (
	// Backends are added here as they land; C2 adds arch/ppc64hash,
	// arch/sparc64 and arch/s390.
	_ "github.com/lazybench/lazybench/arch" // keeps the import block valid until the first backend lands
	_ "github.com/lazybench/lazybench/arch/ppc64hash"
	_ "github.com/lazybench/lazybench/arch/s390"
	_ "github.com/lazybench/lazybench/arch/sparc64"
)
