#!/bin/busybox sh
# /init of the recording initramfs (busybox sh). record.sh packs it with
# busybox, the workload program and probes.txt. The kernel command line selects
# what it does:
#   lazybench.mode=syms   dump /proc/kallsyms to the second serial port
#   lazybench.mode=trace  define the probes, record the workload, dump the trace
# Options (trace mode): lazybench.mb=N (MiB per process), lazybench.par=N
# (processes run at once), lazybench.bufkb=N (per-CPU ftrace buffer),
# lazybench.out=DEV (where the gzip stream goes: ttyS1, the default, for the
# x86-64 PC's second UART; vport for the first virtio-serial port, which
# arm64's virt board needs: it has one UART).
# Every status line the host reads starts with "LAZYBENCH " on the console.
/bin/busybox --install -s /bin
export PATH=/bin
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev 2>/dev/null
mount -t tracefs tracefs /sys/kernel/tracing 2>/dev/null

mode=trace mb=2 par=2 bufkb=16384 rounds=1
for arg in $(cat /proc/cmdline); do
	case "$arg" in
	lazybench.mode=*) mode=${arg#*=} ;;
	lazybench.mb=*) mb=${arg#*=} ;;
	lazybench.par=*) par=${arg#*=} ;;
	lazybench.bufkb=*) bufkb=${arg#*=} ;;
	lazybench.rounds=*) rounds=${arg#*=} ;;
	lazybench.out=*) outdev=${arg#*=} ;;
	esac
done
case "${outdev:-ttyS1}" in
ttyS1)
	# The second serial port carries gzip data: no newline translation.
	out=/dev/ttyS1
	stty -F "$out" raw -echo 2>/dev/null || stty raw -echo <"$out"
	;;
vport)
	# A virtio-serial port is a byte stream already; devtmpfs names it
	# /dev/vportNpM (no udev here for /dev/virtio-ports/NAME).
	out=
	for p in /dev/vport*p1; do [ -c "$p" ] && out=$p && break; done
	[ -n "$out" ] || { echo "LAZYBENCH FAIL no virtio-serial port"; poweroff -f; }
	;;
*) echo "LAZYBENCH FAIL unknown lazybench.out=$outdev"; poweroff -f ;;
esac
say() { echo "LAZYBENCH $*"; }
die() { say "FAIL $*"; poweroff -f; }

say "uname $(uname -r)"
case "$mode" in
syms)
	echo 0 >/proc/sys/kernel/kptr_restrict
	gzip -1 -c /proc/kallsyms >"$out" || die "cannot read /proc/kallsyms"
	say "syms $(wc -l </proc/kallsyms)"
	say "DONE"
	poweroff -f
	;;
trace) ;;
*) die "unknown mode $mode" ;;
esac

T=/sys/kernel/tracing
[ -d "$T/events" ] || die "no tracefs at $T"
echo 0 >"$T/tracing_on"
echo global >"$T/trace_clock" || die "cannot set trace_clock=global"
echo "$bufkb" >"$T/buffer_size_kb" || die "cannot set buffer_size_kb=$bufkb"

# Define the probes one at a time: a probe the kernel refuses (notrace
# function, blacklisted address) is reported and counted, not fatal.
ok=0 bad=0
while read -r line; do
	case "$line" in '' | '#'*) continue ;; esac
	if echo "$line" >>"$T/kprobe_events" 2>/dev/null; then
		ok=$((ok + 1))
	else
		bad=$((bad + 1))
		say "refused $line"
	fi
done </probes.txt
say "probes defined=$ok refused=$bad"
[ "$ok" -gt 0 ] || die "no probe was accepted"
echo 1 >"$T/events/lazy/enable" || die "cannot enable the lazy probes"
while read -r ev; do
	case "$ev" in '' | '#'*) continue ;; esac
	if [ -e "$T/events/$ev/enable" ]; then
		echo 1 >"$T/events/$ev/enable"
	else
		say "missing-tracepoint $ev"
	fi
done </tracepoints.txt

echo >"$T/trace"
echo 1 >"$T/tracing_on"
# The importer takes the arch from this marker when --arch is not given.
echo "lazybench arch=$(uname -m) start mb=$mb par=$par" >"$T/trace_marker"
i=0
while [ "$i" -lt "$par" ]; do
	/workload "$mb" "$rounds" "$i" &
	i=$((i + 1))
done
wait
echo "lazybench end" >"$T/trace_marker"
echo 0 >"$T/tracing_on"

# Overrun check: any lost event makes the trace incomplete.
lost=0
for s in "$T"/per_cpu/cpu*/stats; do
	cpu=${s%/stats}
	cpu=${cpu##*/}
	ov=$(sed -n 's/^overrun: //p' "$s")
	dr=$(sed -n 's/^dropped events: //p' "$s")
	en=$(sed -n 's/^entries: //p' "$s")
	say "stats $cpu entries=${en:-?} overrun=${ov:-?} dropped=${dr:-?}"
	lost=$((lost + ${ov:-0} + ${dr:-0}))
done
say "lost $lost"
gzip -1 -c "$T/trace" >"$out" || die "cannot dump the trace"
say "DONE"
poweroff -f
