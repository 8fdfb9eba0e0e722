package report

import (
	"bytes"
	"fmt"
	"maps"
	"strings"

	"github.com/lazybench/lazybench/arch"
	"github.com/lazybench/lazybench/calibrate"
)

// Costing is the costs a report or summary replays with and what to say
// about them.
type Costing struct {
	Costs arch.Costs
	// Calib is the arm64 fit the costs include; nil when not fitted.
	Calib *calibrate.Result
	// FittedTOML is the fitted arm64 cost file (as written to
	// arm64-fitted.toml); empty when not fitted.
	FittedTOML []byte
	Note       string // for people: which costs, fitted or not, from where
}

// CostOptions say how to cost the replays.
type CostOptions struct {
	Costs     arch.Costs // the user's cost file (nil: defaults)
	CostsPath string     // its path, for the note
	Unfitted  bool       // replay arm64 with its default (or the file's) costs, not the fit
	// CalibLoops and Workers are calibrate.Options' (tests shrink Loops).
	CalibLoops func(pages int) int
	Workers    int
}

// Cost fits arm64's costs to the published test_vmalloc points (starting
// from the user's costs) unless o.Unfitted, and returns the costs to replay
// with: the user's, with arm64's fitted values over them. The fit is
// written as a cost file and read back, so that `--costs arm64-fitted.toml`
// gives the same figures.
func Cost(o CostOptions) (*Costing, error) {
	c := &Costing{Costs: o.Costs}
	from := "the default costs of every backend (estimates; docs/costs.md)"
	if o.CostsPath != "" {
		from = "the costs of " + o.CostsPath + " over the defaults"
	}
	if o.Unfitted {
		c.Note = "Costs: " + from + "; arm64 is NOT replayed with its fitted costs (--unfitted)."
		return c, nil
	}
	res, err := calibrate.Fit(calibrate.DefaultPoints(), calibrate.Options{Arch: "arm64", Costs: o.Costs, Loops: o.CalibLoops, Workers: o.Workers})
	if err != nil {
		return nil, fmt.Errorf("calibration: %w", err)
	}
	var toml bytes.Buffer
	if err := res.WriteCosts(&toml, calibrate.M2Source); err != nil {
		return nil, err
	}
	fitted, err := arch.ParseCosts("arm64-fitted.toml", toml.Bytes())
	if err != nil {
		return nil, err
	}
	merged := arch.Costs{}
	maps.Copy(merged, o.Costs)
	maps.Copy(merged, fitted)
	c.Costs, c.Calib, c.FittedTOML = merged, res, toml.Bytes()
	c.Note = fmt.Sprintf("Costs: %s, except arm64's %s, fitted to the published test_vmalloc figures (docs/calibration.md; --unfitted replays without the fit).",
		from, fittedTerms(res))
	return c, nil
}

// fittedTerms lists the arm64 terms the fit moved: "flag_atomic_ns 6.17
// (estimate 10)".
func fittedTerms(res *calibrate.Result) string {
	var parts []string
	for _, t := range res.Terms {
		if !t.Work && t.Value != t.Start {
			parts = append(parts, fmt.Sprintf("%s %s (estimate %s)", t.Name, fmtSig(t.Value), fmtSig(t.Start)))
		}
	}
	if len(parts) == 0 {
		return "costs (the fit kept every estimate)"
	}
	return strings.Join(parts, ", ")
}
