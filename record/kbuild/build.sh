#!/usr/bin/env bash
# make record KERNEL=build, first half: build a small arm64 kernel from
# Debian's linux-source package with DEBUG_PAGEALLOC and KASAN (the options
# under which the lazy MMU mode nests and pauses), cross-compiled with Debian's
# gcc-aarch64-linux-gnu. See docs/recording.md. Needs root for apt-get.
#
# The build is cached in $RECORD_KBUILD: the source is fetched and unpacked
# once per package version, and the kernel is rebuilt only when the source
# version or record/kbuild/lazybench.config changes. Prints the Image's path
# as its last line on stdout.
#
# Environment:
#   RECORD_KBUILD      cache dir (default record/work/kbuild, gitignored)
#   RECORD_KSRC_PKG    source package (default linux-source-7.3)
#   RECORD_KSRC_SUITE  Debian suite that serves it (default trixie-backports)
#   RECORD_KJOBS       make -j (default: the number of CPUs)
#   RECORD_KNICE       nice level of the build (default 19)
#   RECORD_NO_APT=1    use what is installed and what is in the cache
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
PKG=${RECORD_KSRC_PKG:-linux-source-7.3}
SUITE=${RECORD_KSRC_SUITE:-trixie-backports}
JOBS=${RECORD_KJOBS:-$(nproc)}
NICE=${RECORD_KNICE:-19}
FRAG=$ROOT/record/kbuild/lazybench.config
KMAKE=(make ARCH=arm64 CROSS_COMPILE=aarch64-linux-gnu-)
die() {
	echo "kbuild: FAIL: $*" >&2
	exit 1
}
# check_dir
# shellcheck source=record/checks.sh
. "$ROOT/record/checks.sh"
K=$(check_dir RECORD_KBUILD "${RECORD_KBUILD:-$ROOT/record/work/kbuild}")
mkdir -p "$K"
say() { echo "kbuild: $*" >&2; }

# shellcheck source=record/debian-apt.sh
. "$ROOT/record/debian-apt.sh"

if [ "${RECORD_NO_APT:-}" != 1 ]; then
	[ "$(id -u)" = 0 ] || die "apt-get needs root (or RECORD_NO_APT=1 with a filled cache)"
	export DEBIAN_FRONTEND=noninteractive
	apt-get install -y --no-install-recommends gcc-aarch64-linux-gnu make bc bison flex \
		libssl-dev libelf-dev xz-utils cpio >"$K/apt-install.log" 2>&1 ||
		{ tail -5 "$K/apt-install.log" >&2; die "apt-get install failed (see $K/apt-install.log)"; }
fi
command -v aarch64-linux-gnu-gcc >/dev/null || die "aarch64-linux-gnu-gcc is not installed"

# Fetch and unpack the source once per version.
if [ "${RECORD_NO_APT:-}" = 1 ]; then
	VER=$(cat "$K/src.version" 2>/dev/null) || die "RECORD_NO_APT=1 and no source in $K"
else
	debian_apt_init "$K/apt" "$SUITE" all || die "private apt configuration failed"
	VER=$(debian_apt_version "$PKG") || die "$SUITE serves no $PKG"
fi
SRC=$K/src/${PKG#linux-source-}
if [ "$(cat "$K/src.version" 2>/dev/null)" != "$VER" ] || [ ! -f "$SRC/Makefile" ]; then
	say "fetching $PKG $VER"
	deb=$(debian_apt_download "$PKG" "$K/dl") || die "cannot download $PKG"
	rm -rf "$K/src" && mkdir -p "$K/src"
	dpkg-deb --fsys-tarfile "$deb" | tar -xO --wildcards './usr/src/linux-source-*.tar.xz' |
		nice -n "$NICE" tar -xJ -C "$K/src" --transform 's|^linux-source-[^/]*|'"${PKG#linux-source-}"'|' ||
		die "cannot unpack $deb"
	echo "$VER" >"$K/src.version"
	rm -rf "$K/out"
fi
[ -f "$SRC/Makefile" ] || die "no kernel source in $SRC"

OUT=$K/out
IMAGE=$OUT/arch/arm64/boot/Image
STAMP="$VER $(sha256sum <"$FRAG" | cut -c1-16)"
if [ -f "$IMAGE" ] && [ "$(cat "$K/image.stamp" 2>/dev/null)" = "$STAMP" ]; then
	say "cached: $IMAGE ($STAMP)"
	echo "$IMAGE"
	exit 0
fi

# Configure: tinyconfig, the fragment, olddefconfig; then every option the
# fragment names must have the value it asks for.
mkdir -p "$OUT"
"${KMAKE[@]}" -C "$SRC" O="$OUT" tinyconfig >"$K/config.log" 2>&1 || die "tinyconfig failed (see $K/config.log)"
"$SRC/scripts/kconfig/merge_config.sh" -m -O "$OUT" "$OUT/.config" "$FRAG" >>"$K/config.log" 2>&1 ||
	die "merge_config failed (see $K/config.log)"
"${KMAKE[@]}" -C "$SRC" O="$OUT" olddefconfig >>"$K/config.log" 2>&1 || die "olddefconfig failed"
bad=0
while IFS= read -r line; do
	case "$line" in
	CONFIG_*=*) want=$line opt=${line%%=*} ;;
	"# CONFIG_"*" is not set") want=$line opt=${line#\# } opt=${opt%% *} ;;
	*) continue ;;
	esac
	got=$(grep -E "^($opt=|# $opt is not set)" "$OUT/.config" || echo "$opt absent")
	if [ "$got" != "$want" ] && ! { [ "$got" = "$opt absent" ] && [ "${want#\#}" != "$want" ]; }; then
		say "config: asked for '$want', got '$got'"
		bad=1
	fi
done <"$FRAG"
[ "$bad" = 0 ] || die "Kconfig did not take the fragment (see above)"

say "building $PKG $VER Image with $JOBS jobs at nice $NICE"
start=$(date +%s)
/usr/bin/time -f "%e s wall, %U s user, %S s sys, %M KiB max RSS" -o "$K/build-time.txt" \
	nice -n "$NICE" "${KMAKE[@]}" -C "$SRC" O="$OUT" -j"$JOBS" Image >"$K/build.log" 2>&1 ||
	{ tail -20 "$K/build.log" >&2; die "kernel build failed (see $K/build.log)"; }
say "built in $(($(date +%s) - start)) s: $(cat "$K/build-time.txt")"
echo "$STAMP" >"$K/image.stamp"
echo "$IMAGE"
