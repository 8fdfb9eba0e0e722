package main

import "github.com/lazybench/lazybench/corpus"

// The embedded corpus backs "corpus:NAME" trace arguments and the default
// trace list of compare and report.
func init() {
	corpusOpen = corpus.Open
	corpusNames = corpus.Names
}
