#!/bin/busybox sh
# /init of the recording initramfs (busybox sh). record.sh packs it with
# busybox, the workload program and probes.txt. The kernel command line selects
# what it does:
#   lazybench.mode=syms   dump /proc/kallsyms to the second serial port
#   lazybench.mode=trace  define the probes, record the workload, dump the trace
#   lazybench.mode=own    run record/own-machine.sh in the guest (RECORD_OWN=1)
# Options (trace mode): lazybench.mb=N (MiB per process), lazybench.par=N
# (processes run at once), lazybench.bufkb=N (per-CPU ftrace buffer),
# lazybench.out=DEV (where the gzip stream goes: ttyS1, the default, for the
# x86-64 PC's second UART; vport for the first virtio-serial port, which
# arm64's virt board needs: it has one UART), lazybench.tool=trace-cmd
# (record with trace-cmd record and dump the text of trace-cmd report
# instead of tracefs's trace file; record.sh packs trace-cmd, its libraries
# and plugins when RECORD_TOOL=trace-cmd).
# Every status line the host reads starts with "LAZYBENCH " on the console.
/bin/busybox --install -s /bin
export PATH=/bin
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev 2>/dev/null
mount -t tracefs tracefs /sys/kernel/tracing 2>/dev/null

mode=trace mb=2 par=2 bufkb=16384 rounds=1 tool=tracefs
for arg in $(cat /proc/cmdline); do
	case "$arg" in
	lazybench.mode=*) mode=${arg#*=} ;;
	lazybench.mb=*) mb=${arg#*=} ;;
	lazybench.par=*) par=${arg#*=} ;;
	lazybench.bufkb=*) bufkb=${arg#*=} ;;
	lazybench.rounds=*) rounds=${arg#*=} ;;
	lazybench.out=*) outdev=${arg#*=} ;;
	lazybench.tool=*) tool=${arg#*=} ;;
	esac
done
T=/sys/kernel/tracing
run_workloads() {
	# The importer takes the arch from this marker when --arch is not given.
	echo "lazybench arch=$(uname -m) start mb=$mb par=$par" >"$T/trace_marker"
	i=0
	while [ "$i" -lt "$par" ]; do
		/workload "$mb" "$rounds" "$i" &
		i=$((i + 1))
	done
	wait
	echo "lazybench end" >"$T/trace_marker"
}
# "/init workloads": what trace-cmd record runs (lazybench.tool=trace-cmd).
if [ "${1:-}" = workloads ]; then
	run_workloads
	exit 0
fi
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
own)
	# The own-machine path of docs/recording.md, run by its script: discovery
	# on this kernel's image and /proc/kallsyms, probes through tracefs,
	# trace-cmd (or tracefs), import and validate with lazybench in the guest.
	cd /tmp 2>/dev/null || { mkdir -p /tmp && cd /tmp; }
	LAZYBENCH=/bin/lazybench /own-machine.sh -t "$tool" -b "$bufkb" -o own.lmt -- /bin/sh /init workloads \
		>own.log 2>&1 || { cat own.log; die "own-machine.sh failed"; }
	cat own.log
	tar -cf - probes.txt own.log own.lmt $(ls report.txt raw.txt 2>/dev/null) | gzip -1 >"$out" || die "cannot dump the results"
	say "DONE"
	poweroff -f
	;;
*) die "unknown mode $mode" ;;
esac

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
if [ "$tool" = trace-cmd ]; then
	[ -x /bin/trace-cmd ] || die "lazybench.tool=trace-cmd but no /bin/trace-cmd in the initramfs"
	evs="-e lazy"
	while read -r ev; do
		case "$ev" in '' | '#'*) continue ;; esac
		[ -e "$T/events/$ev/enable" ] && evs="$evs -e $ev" || say "missing-tracepoint $ev"
	done </tracepoints.txt
	# shellcheck disable=SC2086
	trace-cmd record -q -C global -b "$bufkb" -o /trace.dat $evs /bin/sh /init workloads >/record.log 2>&1 ||
		{ cat /record.log; die "trace-cmd record failed"; }
	say "trace-cmd $(trace-cmd --version 2>&1 | head -1)"
else
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
	run_workloads
	echo 0 >"$T/tracing_on"
fi

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
if [ "$tool" = trace-cmd ]; then
	trace-cmd report -i /trace.dat >/report.txt 2>/report.err || { cat /report.err; die "trace-cmd report failed"; }
	gzip -1 -c /report.txt >"$out" || die "cannot dump the report"
else
	gzip -1 -c "$T/trace" >"$out" || die "cannot dump the trace"
fi
say "DONE"
poweroff -f
