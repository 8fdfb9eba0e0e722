package replay

import (
	"errors"

	"github.com/lazybench/lazybench/lazymmu"
)

// ErrUnknownArch, ErrUnknownStrategy and ErrUnknownKernel are wrapped by
// New's errors for names that do not exist (the command line maps them to
// exit status 2).
var (
	ErrUnknownArch     = errors.New("unknown arch")
	ErrUnknownStrategy = errors.New("unknown strategy")
	ErrUnknownKernel   = errors.New("unknown kernel")
)

// newLayer builds the generic layer for strategy s under an arch's rules.
func newLayer(s lazymmu.Strategy, r lazymmu.Rules) lazymmu.Layer {
	return lazymmu.Layer{Strategy: s, Rules: r}
}
