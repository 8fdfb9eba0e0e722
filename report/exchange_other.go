//go:build !linux

package report

// exchange has no one-step form here: install moves the old report aside.
func exchange(a, b string) error { return errNoExchange }
