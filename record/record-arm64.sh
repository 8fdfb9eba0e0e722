#!/usr/bin/env bash
# make record ARCH=arm64: record lazy-MMU traces from Debian's newest 7.x
# arm64 kernel under qemu-system-aarch64 (TCG), import them as arm64, check
# the kernel's own barrier count against the model, and add them to corpus/.
# See docs/recording.md ("arm64, Linux 7.x").
#
# Stages (each timed on stderr):
#   deps     host tools it runs: qemu-system-arm, gcc-aarch64-linux-gnu,
#            libc6-dev-arm64-cross, cpio (apt-get install; nothing else)
#   fetch    private apt configuration in the work folder (its own sources
#            list, lists and cache; /etc/apt untouched): the newest
#            linux-binary-7.*-arm64 and busybox-static:arm64 are downloaded
#            and unpacked with dpkg-deb -x, never installed
#   build    lazybench, the workload cross-compiled (static)
#   syms     boot 1 (cached per kernel image): the guest's /proc/kallsyms
#   probes   lazybench record probes on the Image and those symbols
#   trace    one boot per configuration; import, validate, compare
#
# Environment (every value is checked; see check_* below):
#   RECORD_CONFIGS  space-separated NAME:MIB:PROCS:ROUNDS
#   RECORD_WORK     work folder (default /var/tmp/lazybench-record-arm64)
#   RECORD_CORPUS   where traces go (default corpus)
#   RECORD_BUFKB    per-CPU ftrace buffer in KiB (default 16384)
#   RECORD_NO_APT=1 host tools already installed (the kernel is still fetched)
#   RECORD_KERNEL   debian (default; "installed" means the same here: the
#                   newest 7.x arm64 kernel of trixie-backports) or build: a
#                   kernel built from Debian's linux-source-7.3 with
#                   DEBUG_PAGEALLOC and KASAN by record/kbuild/build.sh
#                   (cached in RECORD_KBUILD, default $RECORD_WORK/kbuild;
#                   hours on 2 shared cores: never in CI), booted with
#                   debug_pagealloc=on
set -euo pipefail
umask 022
cd "$(dirname "$0")/.."
ROOT=$(pwd -P)

die() {
	echo "record: FAIL: $*" >&2
	exit 1
}

# check_dir, check_config, check_num
# shellcheck source=record/checks.sh
. record/checks.sh

W=$(check_dir RECORD_WORK "${RECORD_WORK:-/var/tmp/lazybench-record-arm64}")
CORPUS=$(realpath -m -- "${RECORD_CORPUS:-$ROOT/corpus}")
[ -L "${RECORD_CORPUS:-$ROOT/corpus}" ] && die "RECORD_CORPUS is a symlink: refused"
BUFKB=${RECORD_BUFKB:-16384}
check_num RECORD_BUFKB "$BUFKB"
CONFIGS=${RECORD_CONFIGS:-"arm64_small:1:2:1 arm64_vmap:2:2:2"}
read -r -a CFGS <<<"$CONFIGS"
for cfg in "${CFGS[@]}"; do
	check_config "$cfg"
done
KERNEL=${RECORD_KERNEL:-debian}
case "$KERNEL" in
debian | installed) KERNEL=debian KAPPEND= ;;
build) KAPPEND=debug_pagealloc=on ;;
*) die "RECORD_KERNEL=$KERNEL: want debian or build" ;;
esac
GO=${GO:-go}
command -v "$GO" >/dev/null || die "no Go toolchain ($GO)"
mkdir -p -- "$W"
# Files given back to the user (the corpus) belong to the checkout's owner.
OWNER=$(stat -c %u:%g -- "$ROOT")

t0=$(date +%s)
stage_start=$t0
STAGE=
: >"$W/timings.txt"
stage() {
	local now
	now=$(date +%s)
	if [ -n "$STAGE" ]; then
		echo "record: stage $STAGE took $((now - stage_start)) s" >&2
		echo "$STAGE $((now - stage_start))" >>"$W/timings.txt"
	fi
	STAGE=$1
	stage_start=$now
	[ "$1" = end ] || echo "record: == $1" >&2
}


stage deps
TOOLS=(qemu-system-arm gcc-aarch64-linux-gnu libc6-dev-arm64-cross cpio)
if [ "${RECORD_NO_APT:-}" = 1 ]; then
	echo "record: RECORD_NO_APT=1: not installing ${TOOLS[*]}" >&2
else
	[ "$(id -u)" = 0 ] || die "apt-get install needs root (or RECORD_NO_APT=1 with ${TOOLS[*]} installed)"
	export DEBIAN_FRONTEND=noninteractive
	{ apt-get update && apt-get -o DPkg::Lock::Timeout=600 install -y --no-install-recommends "${TOOLS[@]}"; } >"$W/apt-host.log" 2>&1 ||
		{ tail -5 "$W/apt-host.log" >&2; die "cannot install ${TOOLS[*]} (is the Debian archive reachable? see $W/apt-host.log)"; }
	apt_ok "$W/apt-host.log" || die "apt reported errors or signature warnings (see $W/apt-host.log)"
fi
for c in qemu-system-aarch64 aarch64-linux-gnu-gcc cpio dpkg-deb apt-get gzip sha256sum; do
	command -v "$c" >/dev/null || die "$c is not installed"
done
QEMUVER=$(qemu-system-aarch64 --version | head -1)

stage fetch
# A private apt configuration per suite (record/debian-apt.sh): its own
# sources list, lists and cache in the work folder; /etc/apt untouched; any
# apt warning (a bad signature among them) fails. The kernel comes from
# trixie-backports, busybox-static:arm64 from trixie.
# shellcheck source=record/debian-apt.sh
. record/debian-apt.sh
rm -rf -- "$W/apt-bpo" "$W/apt-trixie" "$W/pkg"
mkdir -p -- "$W/pkg"
debian_apt_init "$W/apt-bpo" trixie-backports arm64 || die "cannot reach the Debian archive (trixie-backports, arm64)"
if [ "$KERNEL" = build ]; then
	KB=$(check_dir RECORD_KBUILD "${RECORD_KBUILD:-$W/kbuild}")
	IMAGE=$(RECORD_KBUILD=$KB record/kbuild/build.sh | tail -1) || die "the kernel build failed (see $KB/build.log)"
	KVER="$(sed 's/[^A-Za-z0-9.+]/-/g' "$KB/src.version")-lazybench-build"
	KPKG=linux-source-7.3
	KPKGVER=$(cat "$KB/src.version")
else
	# The newest 7.x arm64 kernel (generic flavour) the archive serves.
	KPKG=$(apt-cache "${DEBIAN_APT_OPTS[@]}" pkgnames linux-binary-7 | grep -E '^linux-binary-7\.[0-9]+(\.[0-9]+)?\+deb[0-9]+-arm64$' | sort -V | tail -1 || true)
	[ -n "$KPKG" ] || die "the archive serves no linux-binary-7.*-arm64 package"
	KVER=${KPKG#linux-binary-}
	KDEB=$(debian_apt_download "$KPKG" "$W/pkg/kernel") || die "apt-get download $KPKG failed"
fi
debian_apt_init "$W/apt-trixie" trixie arm64 || die "cannot reach the Debian archive (trixie, arm64)"
BDEB=$(debian_apt_download busybox-static "$W/pkg/busybox") || die "apt-get download busybox-static (arm64) failed"
for log in "$W/pkg/kernel/download.log" "$W/pkg/busybox/download.log"; do
	[ -f "$log" ] || continue
	! grep -qE '^(W|E|Err):' "$log" || { cat "$log" >&2; die "apt-get download warned (see $log)"; }
done
BBVER=$(dpkg-deb -f "$BDEB" Version)
if [ "$KERNEL" = debian ]; then
	KPKGVER=$(dpkg-deb -f "$KDEB" Version)
	dpkg-deb -x "$KDEB" "$W/pkg/k"
	IMAGE=$W/pkg/k/usr/lib/modules/$KVER/vmlinuz
	[ -f "$IMAGE" ] || die "$KDEB has no /usr/lib/modules/$KVER/vmlinuz"
fi
dpkg-deb -x "$BDEB" "$W/pkg/bb"
BUSYBOX=$W/pkg/bb/usr/bin/busybox
[ -f "$BUSYBOX" ] || die "$BDEB has no /usr/bin/busybox"
echo "record: kernel $KPKG $KPKGVER, busybox-static $BBVER, $QEMUVER" >&2

stage build
"$GO" build -o "$W/lazybench" ./cmd/lazybench
LB=$W/lazybench
aarch64-linux-gnu-gcc -O2 -static -o "$W/workload" record/guest/workload.c

# mkinitramfs OUT PROBES: busybox, /init, the workload, the probes.
mkinitramfs() {
	local root=$W/initramfs-root
	rm -rf -- "$root"
	mkdir -p -- "$root/bin" "$root/proc" "$root/sys" "$root/dev"
	cp -- "$BUSYBOX" "$root/bin/busybox"
	ln -s busybox "$root/bin/sh"
	cp -- record/guest/init.sh "$root/init"
	chmod +x "$root/init"
	cp -- "$W/workload" "$root/workload"
	cp -- "$2" "$root/probes.txt"
	sed -n 's/^# tracepoint: //p' "$root/probes.txt" >"$root/tracepoints.txt"
	(cd "$root" && find . | cpio -o -H newc 2>/dev/null | gzip -1) >"$1"
}

# boot OUTPREFIX CMDLINE...: the guest's console goes to OUTPREFIX.console,
# its gzip stream (virtio-serial: the virt board has one UART) to OUTPREFIX.gz.
boot() {
	local out=$1
	shift
	rm -f -- "$out.console" "$out.gz"
	nice -n 10 timeout 1200 qemu-system-aarch64 -M virt -cpu max -smp 2 -m 1G -accel tcg,thread=multi \
		-no-reboot -nic none -kernel "$IMAGE" -initrd "$W/initramfs.gz" \
		-append "console=ttyAMA0 nokaslr panic=-1 quiet $KAPPEND lazybench.out=vport $*" \
		-display none -monitor none -nographic -serial "file:$out.console" \
		-device virtio-serial-pci,id=vs -chardev "file,id=out,path=$out.gz" \
		-device virtserialport,bus=vs.0,chardev=out,name=out >"$out.qemu.log" 2>&1 ||
		die "qemu failed or timed out (console: $out.console, $out.qemu.log)"
	tr -d '\r' <"$out.console" >"$out.log"
	if grep -q '^LAZYBENCH FAIL' "$out.log"; then
		die "guest: $(grep '^LAZYBENCH FAIL' "$out.log")"
	fi
	grep -q '^LAZYBENCH DONE' "$out.log" || die "guest did not finish (see $out.log)"
}

stage syms
# Cached per image: the symbols of one build never change.
IMGSUM=$(sha256sum -- "$IMAGE" | cut -c1-16)
KSYMS=$W/kallsyms-$KVER-$IMGSUM.txt
if [ -s "$KSYMS" ]; then
	echo "record: kallsyms cached in $KSYMS" >&2
else
	: >"$W/empty-probes.txt"
	mkinitramfs "$W/initramfs.gz" "$W/empty-probes.txt"
	boot "$W/syms" lazybench.mode=syms
	gzip -dc "$W/syms.gz" | tr -d '\r' >"$KSYMS.tmp" || die "kallsyms dump is corrupt"
	want=$(sed -n 's/^LAZYBENCH syms //p' "$W/syms.log")
	[ "$(wc -l <"$KSYMS.tmp")" = "$want" ] || die "kallsyms dump has $(wc -l <"$KSYMS.tmp") lines, the guest counted $want"
	mv -- "$KSYMS.tmp" "$KSYMS"
fi

stage probes
"$LB" record probes --vmlinux "$IMAGE" --kallsyms "$KSYMS" -o "$W/probes.txt" 2>"$W/probes.log" ||
	{ cat "$W/probes.log" >&2; die "probe discovery failed"; }
grep -v 'functions with lazy sections' "$W/probes.log" >&2 || true
PROBES=$(sed -n 's/^# probes: //p' "$W/probes.txt")
AFTERLOOP=$(sed -n 's/^# \([0-9]*\) probes sit on the first instruction after an ldxr.*/\1/p' "$W/probes.txt")

mkdir -p -- "$CORPUS"
for cfg in "${CFGS[@]}"; do
	IFS=: read -r name mb par rounds <<<"$cfg"
	stage "trace:$name"
	mkinitramfs "$W/initramfs.gz" "$W/probes.txt"
	boot "$W/$name" lazybench.mode=trace lazybench.mb="$mb" lazybench.par="$par" \
		lazybench.rounds="$rounds" lazybench.bufkb="$BUFKB"
	grep -E '^LAZYBENCH (probes|stats|lost|missing)' "$W/$name.log" >&2 || true
	lost=$(sed -n 's/^LAZYBENCH lost //p' "$W/$name.log")
	[ -n "$lost" ] || die "$name: the guest reported no overrun check"
	[ "$lost" = 0 ] || die "$name: the trace buffer overran: $lost events lost; raise RECORD_BUFKB (now $BUFKB) or shrink the workload"
	gzip -dc "$W/$name.gz" >"$W/$name.raw.txt" || die "$name: trace dump is corrupt"
	defined=$(sed -n 's/^LAZYBENCH probes defined=\([0-9]*\).*/\1/p' "$W/$name.log")
	refused=$(sed -n 's/^LAZYBENCH probes .*refused=\([0-9]*\).*/\1/p' "$W/$name.log")
	# Refused probes per kind (the guest prints each refused line).
	refkinds=$(sed -n 's|^LAZYBENCH refused p:lazy/\([a-z_]*[a-z]\)[0-9]* .*|\1|p' "$W/$name.log" | sort | uniq -c | awk '{printf "refused_%s=%s ", $2, $1}')

	stage "import:$name"
	file=recorded_$name.lmt
	out=$W/$file
	"$LB" import ftrace "$W/$name.raw.txt" --arch arm64 --trim-irqs -o "$out" --format binary \
		--kernel "$KVER (Debian $KPKGVER)" --machine "$QEMUVER; TCG; virt, -cpu max -smp 2 -m 1G" 2>"$W/$name.import.log" ||
		{ cat "$W/$name.import.log" >&2; die "$name: import failed"; }
	cat "$W/$name.import.log" >&2
	"$LB" validate "$out" >&2 || die "$name: the imported trace does not validate"
	"$LB" stat "$out" >"$W/$name.stat.txt" 2>&1 || die "$name: lazybench stat failed"
	"$LB" record compare --raw "$W/$name.raw.txt" --trace "$out" --probes "$W/probes.txt" | tee "$W/$name.compare.txt" >&2 ||
		die "$name: the kernel's barrier count and the model's differ where both are observed (see $W/$name.compare.txt)"
	cp -- "$out" "$CORPUS/$file"
	cp -- "$W/probes.txt" "$CORPUS/recorded_$name.probes.txt"
	"$LB" record corpus --dir "$CORPUS" --name "recorded_$name" --file "$file" \
		--description "Debian $KVER arm64 under qemu-system-aarch64 TCG, 2 vCPUs: $par processes x $mb MiB, $rounds round(s) (kprobes on inline lazy_mmu_state stores, call sites and barrier pairs; probes in recorded_$name.probes.txt)" \
		--workload "record/guest/workload.c: touch, fork+COW+child exit, mprotect, mremap, madvise cold/pageout/dontneed, munmap, BPF array map (vmalloc); phases marked" \
		--param mib="$mb" --param procs="$par" --param rounds="$rounds" --param bufkb="$BUFKB" \
		--kernel "$KVER (Debian package $KPKG $KPKGVER)" \
		--qemu "$QEMUVER; TCG; virt -cpu max -smp 2 -m 1G; busybox-static $BBVER" \
		--probes "arch=arm64 $PROBES defined=$defined refused=$refused ${refkinds}pte_getclear_after_ldxr_stxr_loop=${AFTERLOOP:-0}" \
		--date "$(date -u +%Y-%m-%dT%H:%M:%SZ)" \
		--command "make record ARCH=arm64 KERNEL=$KERNEL RECORD_CONFIGS=$cfg RECORD_BUFKB=$BUFKB" >&2 || die "$name: cannot update the corpus manifest"
	chown -- "$OWNER" "$CORPUS/$file" "$CORPUS/recorded_$name.probes.txt" "$CORPUS/manifest.json" 2>/dev/null || true
	echo "record: $name -> $CORPUS/$file" >&2
done
stage end
echo "record: done in $(($(date +%s) - t0)) s; stage times in $W/timings.txt" >&2
cat "$W/timings.txt" >&2
