package record

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// runChecks runs one function of checks.sh (the recording scripts' checks
// of what root is given) in bash with ROOT set to root, and returns its
// output and whether it succeeded.
func runChecks(t *testing.T, root, call string, args ...string) (string, bool) {
	t.Helper()
	script := `die() { echo "die $*"; exit 1; }; . ./checks.sh; ` + call + ` "$@"`
	cmd := exec.Command("bash", append([]string{"-c", script, "checks"}, args...)...)
	cmd.Env = append(os.Environ(), "ROOT="+root)
	out, err := cmd.CombinedOutput()
	return strings.TrimSpace(string(out)), err == nil
}

// TestChecks checks the recorders' refusals: unsafe work folders, names,
// numbers, configurations, and apt logs with a signature warning.
func TestChecks(t *testing.T) {
	if _, err := exec.LookPath("bash"); err != nil {
		t.Skip("no bash")
	}
	root := t.TempDir()
	checkout := filepath.Join(root, "co")
	if err := os.MkdirAll(checkout, 0o755); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(root, "link")
	if err := os.Symlink("/etc", link); err != nil {
		t.Fatal(err)
	}
	dirs := []struct {
		path, want string
		ok         bool
	}{
		{"", "die RECORD_WORK is empty", false},
		{"/", "die RECORD_WORK=/ is a system folder: refused", false},
		{"/usr/local/x", "die RECORD_WORK=/usr/local/x is inside a system folder: refused", false},
		{"/var/tmp", "die RECORD_WORK=/var/tmp is a system folder: refused", false},
		{link, "die RECORD_WORK=" + link + " is a symlink: refused", false},
		{root, "die RECORD_WORK=" + root + " is the checkout or one of its parents: refused", false},
		{checkout + "/work/..", "die RECORD_WORK=" + checkout + " is the checkout or one of its parents: refused", false},
		{"work", checkout + "/work", true},
		{"/var/tmp/lazybench-record", "/var/tmp/lazybench-record", true},
	}
	for _, d := range dirs {
		got, ok := runChecks(t, checkout, "check_dir", "RECORD_WORK", d.path)
		if got != d.want || ok != d.ok {
			t.Errorf("check_dir %q: got %q (ok %v), want %q (ok %v)", d.path, got, ok, d.want, d.ok)
		}
	}
	for _, n := range []struct {
		name string
		ok   bool
	}{{"arm64_small", true}, {"../x", false}, {"a/b", false}, {"A", false}, {"", false}, {strings.Repeat("a", 41), false}} {
		if _, ok := runChecks(t, checkout, "check_name", n.name); ok != n.ok {
			t.Errorf("check_name %q: ok %v, want %v", n.name, ok, n.ok)
		}
	}
	for _, n := range []struct {
		v  string
		ok bool
	}{{"1", true}, {"16384", true}, {"0", false}, {"1;rm", false}, {"-1", false}, {"", false}} {
		if _, ok := runChecks(t, checkout, "check_num", "N", n.v); ok != n.ok {
			t.Errorf("check_num %q: ok %v, want %v", n.v, ok, n.ok)
		}
	}
	for _, c := range []struct {
		cfg, want string
		ok        bool
	}{
		{"arm64_small:1:2:1", "", true},
		{"a:1:2:1:5", "die configuration 'a:1:2:1:5' has more than NAME:MIB:PROCS:ROUNDS", false},
		{"A:1:2:1", "die configuration name 'A' must be [a-z0-9_]{1,40}", false},
		{"a:1:0:1", "die PROCS must be a positive integer, not '0'", false},
		{"a:1:2", "die ROUNDS must be a positive integer, not ''", false},
	} {
		if got, ok := runChecks(t, checkout, "check_config", c.cfg); got != c.want || ok != c.ok {
			t.Errorf("check_config %q: got %q (ok %v), want %q (ok %v)", c.cfg, got, ok, c.want, c.ok)
		}
	}
	for _, l := range []struct {
		log string
		ok  bool
	}{
		{"Hit:1 http://deb.debian.org/debian trixie InRelease\nReading package lists...\n", true},
		{"W: GPG error: http://deb.debian.org/debian trixie InRelease: The following signatures couldn't be verified\n", false},
		{"W: The repository 'http://x trixie Release' is not signed.\n", false},
		{"Err:1 http://deb.debian.org/debian trixie InRelease\n", false},
		{"E: Unable to locate package x\n", false},
	} {
		f := filepath.Join(root, "apt.log")
		if err := os.WriteFile(f, []byte(l.log), 0o644); err != nil {
			t.Fatal(err)
		}
		if _, ok := runChecks(t, checkout, "apt_ok", f); ok != l.ok {
			t.Errorf("apt_ok on %q: ok %v, want %v", l.log, ok, l.ok)
		}
	}
}

// TestDebianAptSources checks the sources list debian-apt.sh writes for the
// recorders' private apt configuration: one line per suite, a -security
// suite from the security archive, every line signed-by the archive
// keyring, and a refusal of a suite that is not [a-z0-9-] (no glob, no
// shell). apt-get and runuser are stubs, the machine's archive URIs fixed.
func TestDebianAptSources(t *testing.T) {
	const key = "/usr/share/keyrings/debian-archive-keyring.gpg"
	if _, err := os.Stat(key); err != nil {
		t.Skipf("%s is missing (debian-archive-keyring): debian_apt_init refuses to run without it", key)
	}
	bin := t.TempDir()
	for _, stub := range []string{"apt-get", "runuser"} {
		if err := os.WriteFile(filepath.Join(bin, stub), []byte("#!/bin/sh\nexit 0\n"), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	deb := "deb [signed-by=" + key + "] "
	for _, c := range []struct {
		suites, want string
		ok           bool
	}{
		{"bookworm bookworm-updates bookworm-security", deb + "http://m/debian bookworm main\n" +
			deb + "http://m/debian bookworm-updates main\n" + deb + "http://m/security bookworm-security main", true},
		{"trixie-backports", deb + "http://m/debian trixie-backports main", true},
		{"bookworm *", "debian-apt: suite '*' must be [a-z0-9-]", false},
		{"bookworm;id", "debian-apt: suite 'bookworm;id' must be [a-z0-9-]", false},
		{"", "debian-apt: no suite given", false},
	} {
		dir := t.TempDir()
		script := `. ./debian-apt.sh
debian_apt_uri() { echo http://m/debian; }
debian_apt_security_uri() { echo http://m/security; }
debian_apt_init "$1" "$2" amd64 && cat "$1/sources.list"`
		cmd := exec.Command("bash", "-c", script, "apt", dir, c.suites)
		cmd.Env = append(os.Environ(), "PATH="+bin+":"+os.Getenv("PATH"))
		out, err := cmd.CombinedOutput()
		if got := strings.TrimSpace(string(out)); got != c.want || (err == nil) != c.ok {
			t.Errorf("debian_apt_init %q: got %q (err %v), want %q (ok %v)", c.suites, got, err, c.want, c.ok)
		}
	}
}
