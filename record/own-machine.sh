#!/bin/sh
# record/own-machine.sh: record a lazy-MMU trace on this machine's running
# kernel (x86-64 6.1 or 7.x, arm64 7.x), the path of docs/recording.md ("On
# your own machine") as one script. Run as root:
#
#   record/own-machine.sh [-t trace-cmd|tracefs] [-b KB] [-o OUT.lmt] -- WORKLOAD [ARGS...]
#
# It finds the probes in the running kernel's image with /proc/kallsyms,
# defines them through tracefs, records WORKLOAD with trace-cmd record (or
# plain tracefs), imports the text with lazybench import ftrace and removes
# the probes again. Files: probes.txt, report.txt (or raw.txt), OUT (default
# own.lmt) in the current directory. POSIX sh (also busybox).
# Environment: LAZYBENCH (default lazybench), KERNEL_IMAGE (default
# /usr/lib/modules/$(uname -r)/vmlinuz, else /boot/vmlinuz-$(uname -r)).
set -eu
tool=trace-cmd kb=65536 out=own.lmt
while [ $# -gt 0 ]; do
	case "$1" in
	-t) tool=$2 && shift 2 ;;
	-b) kb=$2 && shift 2 ;;
	-o) out=$2 && shift 2 ;;
	--) shift && break ;;
	*) echo "own-machine: unknown option $1" >&2 && exit 2 ;;
	esac
done
[ $# -gt 0 ] || { echo "own-machine: want -- WORKLOAD [ARGS...]" >&2; exit 2; }
case "$tool" in trace-cmd | tracefs) ;; *) echo "own-machine: -t trace-cmd or tracefs" >&2 && exit 2 ;; esac
LB=${LAZYBENCH:-lazybench}
T=/sys/kernel/tracing
[ -d "$T/events" ] || mount -t tracefs tracefs "$T" 2>/dev/null || true
[ -w "$T/kprobe_events" ] || { echo "own-machine: no writable $T/kprobe_events (root? CONFIG_KPROBE_EVENTS?)" >&2; exit 1; }
img=${KERNEL_IMAGE:-/usr/lib/modules/$(uname -r)/vmlinuz}
[ -f "$img" ] || img=/boot/vmlinuz-$(uname -r)
arch=x86_64
[ "$(uname -m)" = aarch64 ] && arch=arm64

echo 0 >/proc/sys/kernel/kptr_restrict
"$LB" record probes --vmlinux "$img" --kallsyms /proc/kallsyms -o probes.txt
tps=$(sed -n 's/^# tracepoint: //p' probes.txt)
ok=0 bad=0
for l in $(grep -n -v '^#' probes.txt | cut -d: -f1); do
	line=$(sed -n "${l}p" probes.txt)
	if echo "$line" >>"$T/kprobe_events" 2>/dev/null; then ok=$((ok + 1)); else bad=$((bad + 1)) && echo "refused: $line" >&2; fi
done
echo "own-machine: probes defined=$ok refused=$bad" >&2
cleanup() {
	echo 0 >"$T/events/lazy/enable" 2>/dev/null || true
	echo >"$T/kprobe_events" 2>/dev/null || true
}
trap cleanup EXIT

if [ "$tool" = trace-cmd ]; then
	evs="-e lazy"
	for tp in $tps; do [ -e "$T/events/$tp" ] && evs="$evs -e $tp"; done
	# shellcheck disable=SC2086
	trace-cmd record -q -C global -b "$kb" -o trace.dat $evs "$@"
	trace-cmd report -i trace.dat >report.txt
	text=report.txt
else
	echo 0 >"$T/tracing_on"
	echo global >"$T/trace_clock"
	echo "$kb" >"$T/buffer_size_kb"
	echo 1 >"$T/events/lazy/enable"
	for tp in $tps; do [ -e "$T/events/$tp/enable" ] && echo 1 >"$T/events/$tp/enable"; done
	echo >"$T/trace"
	echo 1 >"$T/tracing_on"
	"$@"
	echo 0 >"$T/tracing_on"
	lost=0
	for s in "$T"/per_cpu/cpu*/stats; do
		n=$(sed -n 's/^\(overrun\|dropped events\): //p' "$s" | awk '{s += $1} END {print s + 0}')
		lost=$((lost + n))
	done
	[ "$lost" = 0 ] || { echo "own-machine: $lost events lost: raise -b" >&2; exit 1; }
	cat "$T/trace" >raw.txt
	text=raw.txt
fi
"$LB" import ftrace "$text" --arch "$arch" --probes probes.txt -o "$out"
"$LB" validate "$out"
