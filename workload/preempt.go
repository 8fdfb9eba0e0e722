package workload

import "github.com/lazybench/lazybench/traces"

func init() {
	register(&Workload{
		Name: "preempt",
		Summary: "kernel walks (apply_to_page_range on init_mm, no lock held) preempted mid-section: right after an enable, " +
			"inside an enable (mid=1), halfway, and with a migration to another CPU",
		Source: "mm/memory.c:apply_to_pte_range (init_mm); kernel/sched/core.c:__schedule; arch/x86/xen/enlighten_pv.c:xen_start_context_switch",
		Params: common(16, 8),
		build: func(c *config) []program {
			progs := []program{{pid: 100, cpu: 0, run: func(b *builder) { genPreemptWalker(b, c.get("pages"), c.get("loops")) }}}
			for t := 1; t < max(c.tasks, 2); t++ {
				progs = append(progs, program{pid: uint32(100 + t), cpu: 0, run: func(b *builder) { genYielder(b, c.get("pages"), c.get("loops")) }})
			}
			return progs
		},
	})
	register(&Workload{
		Name:    "mix",
		Summary: "a multi-CPU blend: fork, vmalloc, munmap, preempted kernel walks, mprotect, DEBUG_PAGEALLOC nesting, PAGEMAP_SCAN, KASAN, madvise, mremap, exit, with time-slice preemption and interrupts",
		Source:  "all of the above",
		Params: func() []Param {
			p := common(128, 2,
				Param{Name: "slice-us", Default: 3, Min: 0, Max: 1 << 20, Help: "time slice: a task is preempted at its next preemptible point after this long (0 = only at explicit points)"},
				Param{Name: "irq-pm", Default: 2, Min: 0, Max: 1000, Help: "per mille chance of an interrupt before each event"})
			for i := range p {
				switch p[i].Name {
				case "cpus":
					p[i].Default = 2
				case "tasks":
					p[i].Default = 11
				}
			}
			return p
		}(),
		build: func(c *config) []program {
			progs := make([]program, c.tasks)
			for t := range progs {
				body := mixBodies[t%len(mixBodies)]
				progs[t] = program{pid: uint32(100 + t), cpu: t % c.cpus, run: func(b *builder) { body(b, c.get("pages"), c.get("loops")) }}
			}
			return progs
		},
	})
}

// mixBodies are the tasks of mix, in order (task t runs body t mod len).
var mixBodies = []func(b *builder, pages, loops int64){
	genFork,
	func(b *builder, pages, loops int64) { genVmalloc(b, max(pages/16, 1), loops*4, false) },
	func(b *builder, pages, loops int64) {
		genZap(b, zapOpts{pages: pages, loops: loops, flushEach: true, reschedPm: 1})
	},
	genPreemptWalker,
	genMprotect,
	func(b *builder, pages, loops int64) {
		genZap(b, zapOpts{pages: pages * 4, loops: loops, flushEach: true, gather: true, bundle: 8})
	},
	genPagemapScan,
	func(b *builder, pages, loops int64) { genVmalloc(b, max(pages/4, 1), loops, true) },
	genMadvise,
	genMremap,
	func(b *builder, pages, loops int64) {
		genZap(b, zapOpts{pages: pages * 2, loops: loops, full: true, vmas: 2, region: 8, reschedPm: 1})
	},
}

// genPreemptWalker is a kernel apply_to_page_range(&init_mm, ...) changing
// the protection of valid linear-map PTEs (set_pte of a valid entry over a
// valid one, as arm64 change_memory_common did before 6.17), which holds no
// lock and so may be preempted inside its section. Loop l uses pattern l%4:
//
//	0: preempted right after the enable;
//	1: preempted inside the enable, between the counter update and the arch
//	   enter (switch mid=1: the 7.0-rc Xen PV double enter);
//	2: preempted halfway through the updates;
//	3: halfway, and the task continues on the next CPU (if cpus > 1).
//
// After each call the caller flushes the kernel TLB over the range and uses
// the mapping.
func genPreemptWalker(b *builder, pages, loops int64) {
	c := b.c
	n := uint64(pages)
	for l := range loops {
		base := linearBase + 0x100000000 + uint64(b.task)<<32 + uint64(l)*c.span()*((n+c.ptes-1)/c.ptes+1)
		addr := base + b.rng.Uint64N(c.ptes-min(n, c.ptes)+1)<<c.shift
		end := addr + n<<c.shift
		pattern := l % 4
		first := true
		for a := addr; a < end; {
			tend := min(c.tableEnd(a), end)
			b.enable(siteApply)
			half := a + (tend-a)/c.page()/2*c.page()
			if first && pattern == 0 {
				b.yieldPoint(false, false)
			}
			if first && pattern == 1 {
				b.yieldPoint(true, false)
			}
			for ; a < tend; a += c.page() {
				if first && a == half && pattern >= 2 {
					b.yieldPoint(false, pattern == 3)
				}
				b.upd(traces.OpSet, a, 1, 0, true, true, false, siteApply)
			}
			b.disable(siteApply)
			first = false
		}
		b.tlbflush(addr, uint32(n), 0, "flush_tlb_kernel_range")
		b.access(addr, uint32(n), 0, "change_memory_common")
	}
}

// genYielder is the other side of preempt: a user task that zaps one range
// per turn (a section under the PTE lock, not preemptible) and then gives
// the CPU back (cond_resched at the end of its slice).
func genYielder(b *builder, pages, loops int64) {
	for l := range loops {
		genZap(b, zapOpts{pages: pages, loops: 1, flushEach: true, region: l})
		b.yieldPoint(false, false)
	}
}
