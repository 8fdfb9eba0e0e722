#!/usr/bin/env bash
# make record: record real lazy-MMU / PTE-write traces from Debian's own amd64
# kernel under QEMU (TCG), import them, and add them to corpus/.
# See docs/recording.md. Needs root (apt-get) on Debian/Ubuntu x86-64.
# No kernel, initramfs or GRUB update is installed on the host: the kernel
# is fetched with apt-get download through a private apt configuration
# (record/debian-apt.sh) and unpacked with dpkg-deb -x into the work dir.
#
# Stages (each one timed on stderr):
#   deps      apt-get update + install the tools it runs: qemu-system-x86
#             busybox-static cpio xz-utils gcc libc6-dev file; then fetch the
#             kernel (fails if the archive cannot be reached or apt warns
#             about a signature: never skipped)
#   build     lazybench and the static workload program
#   syms      boot 1: dump /proc/kallsyms of the kernel booted with nokaslr
#   probes    lazybench record probes: find the probe points in the image
#   trace     boot 2..: record each configuration in RECORD_CONFIGS
#   import    lazybench import ftrace each raw trace into corpus/
#
# Environment (make record sets RECORD_KERNEL from its KERNEL, whose default
# follows ARCH: see the Makefile; it never sets RECORD_ARCH):
#   RECORD_ARCH     x86_64 (arm64: see docs/recording.md)
#   RECORD_KERNEL   debian12: the 6.1 kernel Debian 12's linux-image-amd64
#                   points to (RECORD_KSUITE default "bookworm
#                   bookworm-updates bookworm-security", what the host's apt
#                   would install: the shipped recorded_qemu_* traces);
#                   debian: the newest kernel of RECORD_KSUITE (default
#                   trixie-backports: 7.3.4). Both fetched, nothing installed.
#                   Default: debian when RECORD_ARCH is set, else debian12
#                   ("installed", its old name, means debian12).
#   RECORD_TOOL     tracefs (default: the guest dumps tracefs's trace file) or
#                   trace-cmd (the guest runs Debian's trace-cmd record and
#                   dumps trace-cmd report's text; the host's trace-cmd, its
#                   libraries and libtraceevent plugins go into the initramfs)
#   RECORD_OWN=1   instead of the trace boots, one boot that runs
#                   record/own-machine.sh inside the guest (the own-machine
#                   path of docs/recording.md: discovery on the running
#                   kernel's image and /proc/kallsyms, in the guest) with the
#                   first configuration's workload; results in $W/own/
#   RECORD_CONFIGS  space-separated NAME:MIB:PAR:ROUNDS (default below)
#   RECORD_WORK     work dir (default record/work, gitignored)
#   RECORD_CORPUS   where traces go (default corpus)
#   RECORD_BUFKB    per-CPU ftrace buffer in KiB (default 16384)
#   RECORD_NO_APT=1 use what is installed (for a developer machine; CI never sets it)
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd -P)
die() {
	echo "record: FAIL: $*" >&2
	exit 1
}
# check_dir, check_config, check_num
# shellcheck source=record/checks.sh
. record/checks.sh
W=$(check_dir RECORD_WORK "${RECORD_WORK:-$ROOT/record/work}")
CORPUS=${RECORD_CORPUS:-$ROOT/corpus}
BUFKB=${RECORD_BUFKB:-16384}
check_num RECORD_BUFKB "$BUFKB"
CONFIGS=${RECORD_CONFIGS:-"qemu_small:1:2:1 qemu_fork4m:4:2:1 qemu_par4:2:4:1"}
for cfg in $CONFIGS; do
	check_config "$cfg"
done
GO=${GO:-go}
ARCH=${RECORD_ARCH:-}
KERNEL=${RECORD_KERNEL:-}
[ -n "$KERNEL" ] || { [ -n "$ARCH" ] && KERNEL=debian || KERNEL=debian12; }
[ "$KERNEL" = installed ] && KERNEL=debian12
ARCH=${ARCH:-x86_64}
case "$KERNEL" in
debian12) KSUITE=${RECORD_KSUITE:-bookworm bookworm-updates bookworm-security} ;;
*) KSUITE=${RECORD_KSUITE:-trixie-backports} ;;
esac
TOOL=${RECORD_TOOL:-tracefs}
case "$TOOL" in tracefs | trace-cmd) ;; *) die "RECORD_TOOL=$TOOL: want tracefs or trace-cmd" ;; esac
mkdir -p "$W"

t0=$(date +%s)
stage_start=$t0
stage() {
	local now
	now=$(date +%s)
	if [ -n "${STAGE:-}" ]; then
		echo "record: stage $STAGE took $((now - stage_start)) s" >&2
		echo "$STAGE $((now - stage_start))" >>"$W/timings.txt"
	fi
	STAGE=$1
	stage_start=$now
	[ "$1" = end ] || echo "record: == $1" >&2
}
: >"$W/timings.txt"

# fetch_debian_kernel DEBARCH: the kernel Debian's linux-image-DEBARCH
# metapackage of $KSUITE (one or more suites: its candidate) points to, downloaded (not installed) and unpacked
# into $W/kernel. 7.x puts the image in linux-binary-VER at
# /usr/lib/modules/VER/vmlinuz; 6.x in linux-image-VER at /boot/vmlinuz-VER.
# Sets KVER, KPKGVER, VMLINUZ.
fetch_debian_kernel() {
	# shellcheck source=record/debian-apt.sh
	. record/debian-apt.sh
	debian_apt_init "$W/apt" "$KSUITE" "$1" || die "private apt configuration for $KSUITE failed"
	local dep pkg deb
	dep=$(apt-cache "${DEBIAN_APT_OPTS[@]}" depends "linux-image-$1" 2>/dev/null |
		sed -n 's/^ *Depends: \(linux-image-[0-9][^ ]*\).*/\1/p' | head -1)
	[ -n "$dep" ] || die "$KSUITE has no linux-image-$1 pointing to a kernel"
	KVER=${dep#linux-image-}
	case "$KVER" in *[!A-Za-z0-9.+~-]*) die "unexpected kernel version '$KVER'" ;; esac
	pkg=linux-binary-$KVER
	debian_apt_version "$pkg" >/dev/null || pkg=linux-image-$KVER
	KPKGVER=$(debian_apt_version "$pkg") || die "$KSUITE serves no $pkg"
	rm -rf "$W/kernel"
	deb=$(debian_apt_download "$pkg" "$W/kernel-deb") || die "cannot download $pkg"
	dpkg-deb -x "$deb" "$W/kernel" || die "cannot unpack $deb"
	VMLINUZ=$W/kernel/usr/lib/modules/$KVER/vmlinuz
	[ -f "$VMLINUZ" ] || VMLINUZ=$W/kernel/boot/vmlinuz-$KVER
	[ -f "$VMLINUZ" ] || die "$pkg holds no vmlinuz"
}

stage deps
case "$ARCH:$KERNEL" in
x86_64:debian12 | x86_64:debian) ;;
*) die "ARCH=$ARCH KERNEL=$KERNEL is not recorded by this script (x86_64 with KERNEL=debian12 or debian; see docs/recording.md)" ;;
esac
# The tools it runs; never a kernel (see fetch_debian_kernel).
PKGS=(qemu-system-x86 busybox-static cpio xz-utils gcc libc6-dev file)
[ "$TOOL" = trace-cmd ] && PKGS+=(trace-cmd libtraceevent1-plugin)
if [ "${RECORD_NO_APT:-}" = 1 ]; then
	echo "record: RECORD_NO_APT=1: not running apt-get" >&2
else
	[ "$(id -u)" = 0 ] || die "apt-get needs root (run as root, or RECORD_NO_APT=1 with ${PKGS[*]} installed)"
	export DEBIAN_FRONTEND=noninteractive
	if ! apt-get update >"$W/apt-update.log" 2>&1 || ! apt_ok "$W/apt-update.log"; then
		tail -5 "$W/apt-update.log" >&2
		die "cannot reach the Debian archive, or apt warned about a signature (see $W/apt-update.log)"
	fi
	if ! apt-get -o DPkg::Lock::Timeout=600 install -y --no-install-recommends "${PKGS[@]}" >"$W/apt-install.log" 2>&1 || ! apt_ok "$W/apt-install.log"; then
		tail -5 "$W/apt-install.log" >&2
		die "apt-get install ${PKGS[*]} failed or warned (see $W/apt-install.log)"
	fi
fi
for c in qemu-system-x86_64 cpio xz gcc file; do
	command -v "$c" >/dev/null || die "$c is not installed"
done
BUSYBOX=$(command -v busybox || true)
[ -x /bin/busybox ] && BUSYBOX=/bin/busybox
# The guest has no libc: a dynamically linked busybox would fail at boot.
# (No "file | grep -q" under pipefail; see HAVE_IMPORT below.)
if [ -n "$BUSYBOX" ]; then
	case "$(file -L "$BUSYBOX" 2>/dev/null)" in *"statically linked"* | *static-pie*) ;; *) BUSYBOX= ;; esac
fi
[ -n "$BUSYBOX" ] || die "busybox (static) is not installed"
fetch_debian_kernel amd64
QEMUVER=$(qemu-system-x86_64 --version | head -1)
echo "record: kernel $VMLINUZ ($KPKGVER), $QEMUVER" >&2

stage build
"$GO" build -o "$W/lazybench" ./cmd/lazybench
LB=$W/lazybench
gcc -O2 -static -o "$W/workload" record/guest/workload.c

# mkinitramfs OUT: busybox, /init, the workload, the probes.
mkinitramfs() {
	local root=$W/root
	rm -rf "$root"
	mkdir -p "$root/bin" "$root/proc" "$root/sys" "$root/dev"
	cp "$BUSYBOX" "$root/bin/busybox"
	ln -s busybox "$root/bin/sh"
	cp record/guest/init.sh "$root/init"
	chmod +x "$root/init"
	cp "$W/workload" "$root/workload"
	cp "$W/probes.txt" "$root/probes.txt" 2>/dev/null || : >"$root/probes.txt"
	sed -n 's/^# tracepoint: //p' "$root/probes.txt" >"$root/tracepoints.txt"
	[ "$TOOL" = trace-cmd ] && pack_trace_cmd "$root"
	if [ "${RECORD_OWN:-}" = 1 ]; then
		cp record/own-machine.sh "$root/own-machine.sh"
		cp "$W/lazybench" "$root/bin/lazybench"
		mkdir -p "$root/usr/lib/modules/$KVER" "$root/tmp"
		cp "$VMLINUZ" "$root/usr/lib/modules/$KVER/vmlinuz"
	fi
	(cd "$root" && find . | cpio -o -H newc 2>/dev/null | gzip -1) >"$1"
}

# pack_trace_cmd ROOT: the host's trace-cmd with the shared libraries it and
# the libtraceevent plugins load (ldd), at the same paths.
pack_trace_cmd() {
	local tc lib f
	tc=$(command -v trace-cmd) || die "RECORD_TOOL=trace-cmd: trace-cmd is not installed"
	cp "$tc" "$1/bin/trace-cmd"
	for f in "$tc" /usr/lib/*-linux-gnu/traceevent/plugins/*.so; do
		[ -e "$f" ] || continue
		case "$f" in *.so) mkdir -p "$1$(dirname "$f")" && cp "$f" "$1$f" ;; esac
		for lib in $(ldd "$f" | grep -o '/[^ ]*'); do
			mkdir -p "$1$(dirname "$lib")"
			cp -L "$lib" "$1$lib"
		done
	done
}

# boot OUTPREFIX CMDLINE...: run the guest; console to OUTPREFIX.console,
# second serial port (gzip stream) to OUTPREFIX.gz.
boot() {
	local out=$1 try
	shift
	# A kernel that panics before the guest's init says anything is booted
	# once more: under multi-threaded TCG, Debian's 7.3.4 amd64 kernel once
	# took an int3 Oops in sched_clock_cpu while patching its text at boot
	# in one CI run here, before any probe was defined.
	for try in 1 2; do
		rm -f "$out.console" "$out.gz"
		timeout 900 qemu-system-x86_64 -accel tcg -smp 2 -m 1G -no-reboot \
			-kernel "$VMLINUZ" -initrd "$W/initramfs.gz" \
			-append "console=ttyS0 nokaslr panic=-1 quiet $*" \
			-display none -monitor none -nographic \
			-serial "file:$out.console" -serial "file:$out.gz" >/dev/null 2>&1 ||
			die "qemu failed or timed out (console: $out.console)"
		tr -d '\r' <"$out.console" >"$out.log"
		if [ "$try" = 1 ] && grep -q 'Kernel panic' "$out.log" && ! grep -q '^LAZYBENCH' "$out.log"; then
			cp "$out.log" "$out.panic.log"
			echo "record: the guest kernel panicked while booting (kept in $out.panic.log); booting once more" >&2
			continue
		fi
		break
	done
	if grep -q '^LAZYBENCH FAIL' "$out.log"; then
		die "guest: $(grep '^LAZYBENCH FAIL' "$out.log")"
	fi
	grep -q '^LAZYBENCH DONE' "$out.log" || die "guest did not finish (see $out.log)"
}

stage syms
rm -f "$W/probes.txt"
mkinitramfs "$W/initramfs.gz"
boot "$W/syms" lazybench.mode=syms
# Named after the kernel: the discovery tests of go test ./record/ pair it
# with the image in $W/kernel (.ci/run: TestDiscoverDebian12, TestDiscoverDebian7x).
KSYMS=$W/kallsyms-$KVER.txt
gzip -dc "$W/syms.gz" >"$KSYMS" || die "kallsyms dump is corrupt"
[ "$(wc -l <"$KSYMS")" = "$(sed -n 's/^LAZYBENCH syms //p' "$W/syms.log")" ] ||
	die "kallsyms dump has $(wc -l <"$KSYMS") lines, the guest counted $(sed -n 's/^LAZYBENCH syms //p' "$W/syms.log")"

stage probes
"$LB" record probes --vmlinux "$VMLINUZ" --kallsyms "$KSYMS" -o "$W/probes.txt" 2>"$W/probes.log" ||
	{ cat "$W/probes.log" >&2; die "probe discovery failed"; }
cat "$W/probes.log" >&2
PROBES=$(sed -n 's/^# probes: //p' "$W/probes.txt")

if [ "${RECORD_OWN:-}" = 1 ]; then
	read -r cfg _ <<<"$CONFIGS"
	IFS=: read -r name mb par rounds <<<"$cfg"
	stage own
	mkinitramfs "$W/initramfs.gz"
	boot "$W/own" lazybench.mode=own lazybench.mb="$mb" lazybench.par="$par" \
		lazybench.rounds="$rounds" lazybench.bufkb="$BUFKB" lazybench.tool="$TOOL"
	rm -rf "$W/own" && mkdir -p "$W/own"
	gzip -dc "$W/own.gz" | tar -xf - -C "$W/own" || die "own: the results are corrupt"
	grep -E '^own-machine:|ok, [0-9]+ events' "$W/own.log" >&2 || true
	"$LB" validate "$W/own/own.lmt" >&2 || die "own: the trace made in the guest does not validate on the host"
	"$LB" stat "$W/own/own.lmt" | sed -n '/^events/,/^switches/p' >&2
	stage end
	echo "record: own-machine path done in $(($(date +%s) - t0)) s; results in $W/own" >&2
	exit 0
fi

HAVE_IMPORT=0
# (no "cmd | grep -q" under pipefail: an early grep exit is a SIGPIPE failure)
case "$("$LB" help 2>/dev/null)" in *"  import "*) HAVE_IMPORT=1 ;; esac

mkdir -p "$CORPUS"
for cfg in $CONFIGS; do
	IFS=: read -r name mb par rounds <<<"$cfg"
	stage "trace:$name"
	mkinitramfs "$W/initramfs.gz"
	boot "$W/$name" lazybench.mode=trace lazybench.mb="$mb" lazybench.par="$par" \
		lazybench.rounds="$rounds" lazybench.bufkb="$BUFKB" lazybench.tool="$TOOL"
	grep -E '^LAZYBENCH (probes|stats|lost|refused|missing)' "$W/$name.log" >&2 || true
	lost=$(sed -n 's/^LAZYBENCH lost //p' "$W/$name.log")
	[ -n "$lost" ] || die "$name: the guest reported no overrun check"
	if [ "$lost" != 0 ]; then
		die "$name: the trace buffer overran: $lost events lost (per-CPU overrun/dropped in $W/$name.log); raise RECORD_BUFKB (now $BUFKB) or shrink the workload"
	fi
	gzip -dc "$W/$name.gz" >"$W/$name.raw.txt" || die "$name: trace dump is corrupt"
	defined=$(sed -n 's/^LAZYBENCH probes defined=\([0-9]*\).*/\1/p' "$W/$name.log")
	refused=$(sed -n 's/^LAZYBENCH probes .*refused=\([0-9]*\).*/\1/p' "$W/$name.log")
	echo "record: $name: $(grep -vc '^#' "$W/$name.raw.txt") trace lines; events by name:" >&2
	grep -v '^#' "$W/$name.raw.txt" | sed -n 's/.*: \([a-z_]*[a-z]\)[0-9_]*: .*/\1/p' | sort | uniq -c | sort -rn >&2 || true

	stage "import:$name"
	file=recorded_$name.lmt
	out=$CORPUS/$file
	if [ "$HAVE_IMPORT" != 1 ]; then
		die "'lazybench import' does not exist in this tree; the raw ftrace text is in $W/$name.raw.txt"
	fi
	"$LB" import ftrace "$W/$name.raw.txt" --probes "$W/probes.txt" -o "$out" --format binary 2>"$W/$name.import.log" ||
		{ cat "$W/$name.import.log" >&2; die "$name: import failed"; }
	cat "$W/$name.import.log" >&2
	"$LB" validate "$out" >&2 || die "$name: the imported trace does not validate"
	"$LB" stat "$out" >"$W/$name.stat.txt" 2>&1 || die "$name: lazybench stat failed"
	sed -n '/^events/,/^switches/p;/^nesting/,$p' "$W/$name.stat.txt" >&2
	cp "$W/probes.txt" "$CORPUS/recorded_$name.probes.txt"
	"$LB" record corpus --dir "$CORPUS" --name "recorded_$name" --file "$file" \
		--description "Debian $KVER under QEMU TCG, 2 vCPUs: $par processes x $mb MiB, $rounds round(s) (kprobes on call sites; probes in recorded_$name.probes.txt)" \
		--workload "record/guest/workload.c: touch, fork+COW+child exit, mprotect, mremap, madvise cold/pageout/dontneed, munmap, BPF array map (vmalloc); phases marked" \
		--param mib="$mb" --param procs="$par" --param rounds="$rounds" --param bufkb="$BUFKB" \
		--kernel "$KVER (Debian package $KPKGVER)" \
		--qemu "$QEMUVER; TCG; -smp 2 -m 1G" \
		--probes "$PROBES defined=$defined refused=$refused" \
		--date "$(date -u +%Y-%m-%dT%H:%M:%SZ)" \
		--command "make record KERNEL=$KERNEL RECORD_TOOL=$TOOL RECORD_CONFIGS=$cfg RECORD_BUFKB=$BUFKB" >&2 || die "$name: cannot update the corpus manifest"
	echo "record: $name -> $out" >&2
done
stage end
echo "record: done in $(($(date +%s) - t0)) s; stage times in $W/timings.txt" >&2
cat "$W/timings.txt" >&2
