// Package replay is lazybench's engine: it streams a trace through a lazymmu
// strategy and an arch backend, advances a modeled clock, runs the hazard
// oracle, and collects the metrics of one replay (Result).
package replay

// Result is the outcome of one replay. Its JSON encoding is the contract of
// ARCHITECTURE.md ("JSON result of one replay"); fields beyond the contract's
// keys are lazybench extensions.
type Result struct {
	Trace      string            `json:"trace"`
	Arch       string            `json:"arch"`
	Strategy   string            `json:"strategy"`
	Events     uint64            `json:"events"`
	Updates    uint64            `json:"updates"`
	Batched    uint64            `json:"batched"`
	Immediate  uint64            `json:"immediate"`
	Callbacks  Callbacks         `json:"callbacks"`
	ArchOps    map[string]uint64 `json:"arch_ops"`
	ModeledNs  float64           `json:"modeled_ns"`
	SectionNs  Quantiles         `json:"section_ns"`
	DeferredNs Quantiles         `json:"deferred_ns"`
	Violations map[string]uint64 `json:"violations"`
	Hazards    map[string]uint64 `json:"hazards"`

	// Extensions.
	Sections uint64   `json:"sections"`         // outermost sections closed
	Flushes  uint64   `json:"flushes"`          // drains of a non-empty batch (all causes)
	Batches  []uint64 `json:"batches,omitempty"` // Batches[n] = drains of n entries; last = larger
	Main     string   `json:"main_counter"`     // the backend's main arch_ops counter

	// Section and Deferred hold the distributions behind SectionNs and
	// DeferredNs, for charts; not encoded.
	Section  *Dist `json:"-"`
	Deferred *Dist `json:"-"`
}

// Callbacks counts the arch callbacks the generic layer made.
type Callbacks struct {
	Enter uint64 `json:"enter"`
	Leave uint64 `json:"leave"`
	Flush uint64 `json:"flush"`
}

// Quantiles summarises a distribution of modeled times, ns. Percentiles use one
// definition everywhere (R type 7, linear interpolation between order
// statistics), the same as the charts.
type Quantiles struct {
	P50 float64 `json:"p50"`
	P90 float64 `json:"p90"`
	P99 float64 `json:"p99"`
	Max float64 `json:"max"`
}

// Hazard names of the contract.
const (
	HazardStaleAccess = "stale-access"
	HazardTLBFlush    = "tlbflush-before-flush"
)
