package main

import (
	"io"

	"github.com/lazybench/lazybench/arch"
	_ "github.com/lazybench/lazybench/arch/all"
)

func init() {
	register(&command{
		name:    "costs",
		summary: "print every cost parameter of every backend (a cost-file template)",
		run:     runCosts,
	})
}

// runCosts prints every backend's cost parameters and options with their
// defaults, units and sources: as a TOML cost file (the template for
// --costs) or as a Markdown table.
func runCosts(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("costs", stderr)
	format := fs.String("format", "toml", "output format: toml (a cost-file template) or table (Markdown)")
	check := fs.String("check", "", "load this cost file, report any error, and print the values it sets")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 0 {
		return usagef("costs takes no arguments")
	}
	if *check != "" {
		c, err := arch.LoadCosts(*check)
		if err != nil {
			return err
		}
		return arch.WriteCosts(stdout, c)
	}
	switch *format {
	case "toml":
		return arch.WriteTemplate(stdout)
	case "table":
		return arch.WriteParamTable(stdout)
	}
	return usagef("unknown -format %q (want toml or table)", *format)
}
