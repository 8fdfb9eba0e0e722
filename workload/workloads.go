package workload

import (
	"github.com/lazybench/lazybench/traces"
)

// Call-site names (site=) as the kernel's functions are called in 7.0.
const (
	siteCopy      = "copy_pte_range"
	siteZap       = "zap_pte_range"
	siteChange    = "change_pte_range"
	siteMove      = "move_ptes"
	siteCold      = "madvise_cold_or_pageout_pte_range"
	siteFree      = "madvise_free_pte_range"
	siteVmap      = "vmap_pages_pte_range"
	siteVunmap    = "vunmap_pte_range"
	siteApply     = "apply_to_pte_range"
	siteKasanPop  = "kasan_populate_vmalloc_pte"
	siteKasanDep  = "kasan_depopulate_vmalloc_pte"
	sitePageattr  = "update_range_prot"
	sitePagemap   = "pagemap_scan_pmd_entry"
	siteResched   = "cond_resched"
	siteTLBFinish = "tlb_finish_mmu"
	siteTLBFlush  = "tlb_flush_mmu"
)

// common returns the parameters every workload has, with the given defaults
// for pages and loops, followed by extra.
func common(pages, loops int64, extra ...Param) []Param {
	p := []Param{
		{Name: "seed", Default: 1, Min: 0, Max: 1 << 62, Help: "random seed (PCG)"},
		{Name: "pages", Default: pages, Min: 1, Max: 1 << 22, Help: "pages per call (the size of the range walked)"},
		{Name: "loops", Default: loops, Min: 1, Max: 1 << 22, Help: "calls per task"},
		{Name: "page-shift", Default: 12, Min: 12, Max: 16, Help: "log2 of the base page size (12 = 4K, 14 = 16K, 16 = 64K)"},
		{Name: "ptes", Default: 0, Min: 0, Max: 1 << 16, Help: "PTEs per page table (0 = page size / 8: 512 for 4K, 2048 for 16K; 256 for s390)"},
		{Name: "cpus", Default: 1, Min: 1, Max: 64, Help: "CPUs"},
		{Name: "tasks", Default: 1, Min: 1, Max: 64, Help: "tasks (each its own mm), spread over the CPUs"},
		{Name: "pte-ns", Default: 5, Min: 0, Max: 1 << 20, Help: "trace time per PTE update (ns)"},
	}
	return append(p, extra...)
}

var (
	pNonePm    = Param{Name: "none-pm", Default: 0, Min: 0, Max: 1000, Help: "per mille of PTEs in the range that are none (unmapped)"}
	pReschedPm = Param{Name: "resched-pm", Default: 0, Min: 0, Max: 1000, Help: "per mille chance that need_resched() is true where the call site checks it"}
)

func withDefault(p Param, def int64) Param { p.Default = def; return p }

// opt returns parameter name of the running workload, or the default that
// workload wname declares (a workload run inside mix takes its defaults).
func (c *config) opt(wname, name string) int64 {
	if v, ok := c.v[name]; ok && c.w.Param(name) != nil {
		return v
	}
	if w := registry[wname]; w != nil {
		if p := w.Param(name); p != nil {
			return p.Default
		}
	}
	panic("gen: no parameter " + wname + "." + name)
}

// perTask returns one program per task running body, task t on CPU t%cpus.
func perTask(c *config, body func(b *builder)) []program {
	progs := make([]program, c.tasks)
	for t := range progs {
		progs[t] = program{pid: uint32(100 + t), cpu: t % c.cpus, run: body}
	}
	return progs
}

func init() {
	register(&Workload{
		Name:    "fork",
		Summary: "fork(): copy_pte_range write-protects the parent and sets the child, per page table, breaking early on need_resched",
		Source:  "mm/memory.c:copy_pte_range",
		Params: common(1024, 1, withDefault(pNonePm, 100), withDefault(pReschedPm, 100),
			Param{Name: "folio", Default: 1, Min: 1, Max: 512, Help: "pages per folio: copy_present_ptes batches a folio with wrprotect_ptes/set_ptes (nr=)"}),
		build: func(c *config) []program {
			return perTask(c, func(b *builder) { genFork(b, c.get("pages"), c.get("loops")) })
		},
	})
	register(&Workload{
		Name:    "munmap",
		Summary: "munmap(): zap_pte_range getclears each present PTE, one section per page table, TLB flush after each section",
		Source:  "mm/memory.c:zap_pte_range",
		Params: common(1024, 1, pNonePm, withDefault(pReschedPm, 1),
			Param{Name: "flush-end", Default: 0, Min: 0, Max: 1, Help: "1: one TLB flush at tlb_finish_mmu instead of one per section"}),
		build: func(c *config) []program {
			return perTask(c, func(b *builder) {
				genZap(b, zapOpts{pages: c.get("pages"), loops: c.get("loops"), flushEach: c.opt("munmap", "flush-end") == 0,
					nonePm: c.opt("munmap", "none-pm"), reschedPm: c.opt("munmap", "resched-pm")})
			})
		},
	})
	register(&Workload{
		Name:    "exit",
		Summary: "exit teardown: zap_pte_range with ptep_get_and_clear_full (full=1) over every VMA, one TLB flush per VMA at the end",
		Source:  "mm/memory.c:zap_pte_range (exit_mmap -> unmap_vmas, tlb->fullmm)",
		Params: common(1536, 1, pNonePm, withDefault(pReschedPm, 1),
			Param{Name: "vmas", Default: 3, Min: 1, Max: 64, Help: "VMAs the pages are spread over"}),
		build: func(c *config) []program {
			return perTask(c, func(b *builder) {
				genZap(b, zapOpts{pages: c.get("pages"), loops: c.get("loops"), full: true, vmas: c.get("vmas"),
					nonePm: c.get("none-pm"), reschedPm: c.get("resched-pm")})
			})
		},
	})
	register(&Workload{
		Name:    "mprotect",
		Summary: "mprotect(): change_pte_range modifies each present PTE (ptep_modify_prot_commit), TLB flush at the end of each call",
		Source:  "mm/mprotect.c:change_pte_range",
		Params:  common(1024, 2, pNonePm),
		build: func(c *config) []program {
			return perTask(c, func(b *builder) { genMprotect(b, c.get("pages"), c.get("loops")) })
		},
	})
	register(&Workload{
		Name:    "mremap",
		Summary: "mremap(): move_ptes getclears the old PTE and sets the new one, one section per extent, TLB flush after each",
		Source:  "mm/mremap.c:move_ptes",
		Params: common(1024, 1, pNonePm,
			Param{Name: "misalign", Default: -1, Min: -1, Max: 1 << 16, Help: "pages the new range is offset from the old one within a page table (-1 = seeded random, 0 = aligned: full tables move as PMDs)"}),
		build: func(c *config) []program {
			return perTask(c, func(b *builder) { genMremap(b, c.get("pages"), c.get("loops")) })
		},
	})
	register(&Workload{
		Name:    "madvise",
		Summary: "madvise(MADV_COLD): clears young PTEs, leaving and re-entering every 32 PTEs on need_resched; free=1: MADV_FREE",
		Source:  "mm/madvise.c:madvise_cold_or_pageout_pte_range, madvise_free_pte_range",
		Params: common(1024, 1, pNonePm, withDefault(pReschedPm, 100),
			Param{Name: "young-pm", Default: 700, Min: 0, Max: 1000, Help: "per mille of present PTEs that are young (MADV_COLD) or young/dirty (MADV_FREE)"},
			Param{Name: "free", Default: 0, Min: 0, Max: 1, Help: "1: MADV_FREE (getclear + set per young/dirty PTE) instead of MADV_COLD"}),
		build: func(c *config) []program {
			return perTask(c, func(b *builder) { genMadvise(b, c.get("pages"), c.get("loops")) })
		},
	})
	register(&Workload{
		Name:    "debug-pagealloc",
		Summary: "munmap with DEBUG_PAGEALLOC on arm64: mmu_gather's batch page allocation maps a page inside the zap section (nested section), then uses it",
		Source:  "mm/memory.c:zap_pte_range -> mm/mmu_gather.c:tlb_next_batch -> arch/arm64/mm/pageattr.c:update_range_prot",
		Params: common(2048, 1, pNonePm, withDefault(pReschedPm, 0),
			Param{Name: "bundle", Default: 8, Min: 1, Max: 1 << 16, Help: "pages the mmu_gather's embedded first batch holds (MMU_GATHER_BUNDLE)"},
			Param{Name: "batch", Default: 0, Min: 0, Max: 1 << 16, Help: "pages one allocated batch holds (0 = MAX_GATHER_BATCH: (page size - 16) / 8)"}),
		build: func(c *config) []program {
			return perTask(c, func(b *builder) {
				genZap(b, zapOpts{pages: c.get("pages"), loops: c.get("loops"), flushEach: true, nonePm: c.get("none-pm"),
					reschedPm: c.get("resched-pm"), gather: true, bundle: c.get("bundle"), batch: c.get("batch")})
			})
		},
	})
	register(&Workload{
		Name:    "pagemap-scan",
		Summary: "PAGEMAP_SCAN with PM_SCAN_WP_MATCHING: modify per PTE, then a TLB flush inside the section before its disable",
		Source:  "fs/proc/task_mmu.c:pagemap_scan_pmd_entry",
		Params:  common(1024, 1, pNonePm),
		build: func(c *config) []program {
			return perTask(c, func(b *builder) { genPagemapScan(b, c.get("pages"), c.get("loops")) })
		},
	})
	register(&Workload{
		Name:    "irq",
		Summary: "interrupts (KFENCE set_memory_valid in softirq) in the middle of user and kernel sections",
		Source:  "mm/memory.c:zap_pte_range, mm/vmalloc.c:vmap_pages_pte_range + mm/kfence (arm64 commit b81c688426a9)",
		Params: common(64, 8,
			Param{Name: "irqs", Default: 1, Min: 0, Max: 1 << 10, Help: "interrupts inside each section, at seeded positions"}),
		build: func(c *config) []program {
			return perTask(c, func(b *builder) { genIRQ(b, c.get("pages"), c.get("loops")) })
		},
	})
}

// genFork: dup_mmap -> copy_page_range -> copy_pte_range for each page table.
// The kernel (mm/memory.c, 6.9+ with batched copies) checks progress >= 32
// before each PTE: progress is reset to 0 and the loop breaks if need_resched()
// (or a lock is contended); a none PTE adds 1, a copied batch of nr PTEs 8*nr.
// After a break, the section ends, cond_resched() runs and a new section
// starts at the same address.
func genFork(b *builder, pages, loops int64) {
	c := b.c
	nonePm, reschedPm := c.opt("fork", "none-pm"), c.opt("fork", "resched-pm")
	folio := uint64(c.opt("fork", "folio"))
	parent, child := b.mm, b.mm+1
	pg := c.page()
	for l := range loops {
		start := c.userRegion(b.task, int(l))
		end := start + uint64(pages)<<c.shift
		key := uint64(b.task)<<32 | uint64(l)
		var checks uint64
		for addr := start; addr < end; {
			tend := min(c.tableEnd(addr), end)
			b.lock()
			b.enable(siteCopy)
			progress, broke := uint64(0), false
			for addr < tend {
				if progress >= 32 {
					progress = 0
					checks++
					if c.chance(key, checks, reschedPm) {
						broke = true
						break
					}
				}
				i := (addr - start) >> c.shift
				if !c.present(key, i/folio, nonePm) {
					progress++
					addr += pg
					continue
				}
				nr := min(folio-i%folio, (tend-addr)>>c.shift)
				b.upd(traces.OpWrprotect, addr, uint32(nr), parent, true, true, false, siteCopy)
				b.upd(traces.OpSet, addr, uint32(nr), child, true, false, false, siteCopy)
				progress += 8 * nr
				addr += nr << c.shift
			}
			b.disable(siteCopy)
			b.unlock()
			if broke {
				b.work(reschedNs, siteResched)
				b.yieldPoint(false, false)
			}
		}
		b.tlbflush(start, uint32(pages), parent, "dup_mmap") // flush_tlb_mm(oldmm)
	}
}

type zapOpts struct {
	pages, loops      int64
	full              bool  // exit: ptep_get_and_clear_full, full=1
	vmas              int64 // exit: VMAs
	flushEach         bool  // TLB flush after each section (force_flush) instead of at the end
	nonePm, reschedPm int64
	gather            bool // DEBUG_PAGEALLOC: nested sections from tlb_next_batch
	bundle, batch     int64
	region            int64 // first user region number (callers that zap repeatedly)
}

// genZap: unmap_page_range -> zap_pmd_range -> zap_pte_range. In 7.0 the loop
// checks need_resched() before each PTE batch and breaks out; zap_pmd_range
// then calls zap_pte_range again for the rest of the same table.
func genZap(b *builder, o zapOpts) {
	c := b.c
	pg := c.page()
	vmas := max(o.vmas, 1)
	batch := o.batch
	if batch == 0 {
		batch = (int64(pg) - 16) / 8
	}
	maxBatches := max(10000/batch, 1) // MAX_GATHER_BATCH_COUNT
	for l := range o.loops {
		// gathered pages and allocated batches of the loop's mmu_gather
		gathered, batches := int64(0), int64(0)
		type rng struct{ start, pages uint64 }
		var done []rng
		for v := range vmas {
			r := int(o.region + l*vmas + v)
			start := c.userRegion(b.task, r)
			pages := uint64(o.pages / vmas)
			if v == vmas-1 {
				pages = uint64(o.pages) - uint64(vmas-1)*pages
			}
			if pages == 0 {
				continue
			}
			end := start + pages<<c.shift
			key := uint64(b.task)<<32 | uint64(r) | 1<<60
			var checks uint64
			for addr := start; addr < end; {
				tend := min(c.tableEnd(addr), end)
				sec := addr
				b.lock()
				b.enable(siteZap)
				broke, force := false, false
				for addr < tend {
					checks++
					if c.chance(key, checks, o.reschedPm) {
						broke = true
						break
					}
					i := (addr - start) >> c.shift
					if c.present(key, i, o.nonePm) {
						b.upd(traces.OpGetClear, addr, 1, b.mm, false, true, o.full, siteZap)
						if o.gather {
							gathered++
							if full := gathered == o.bundle || gathered > o.bundle && (gathered-o.bundle)%batch == 0; full {
								if batches < maxBatches {
									batches++
									nestedBatchAlloc(b, c.rng(uint64(b.task)<<32|uint64(l)<<16|uint64(batches)|1<<61))
								} else {
									// the gather is full: force_flush, break, flush, free pages
									force = true
									gathered = 0
									addr += pg
									break
								}
							}
						}
					}
					addr += pg
				}
				b.disable(siteZap)
				b.unlock()
				if o.flushEach || force {
					if n := (addr - sec) >> c.shift; n > 0 {
						b.tlbflush(sec, uint32(n), b.mm, siteTLBFlush)
					}
				}
				if broke {
					b.work(reschedNs, siteResched)
					b.yieldPoint(false, false)
				}
			}
			done = append(done, rng{start, pages})
		}
		if !o.flushEach {
			for _, d := range done {
				b.tlbflush(d.start, uint32(d.pages), b.mm, siteTLBFinish)
			}
		}
	}
}

// nestedBatchAlloc is tlb_next_batch() allocating a page with DEBUG_PAGEALLOC:
// the page allocator maps it in the linear map (__kernel_map_pages ->
// set_memory_valid -> update_range_prot, a nested section of one kernel set),
// then mmu_gather writes the new batch header: an access after the nested
// disable, inside the outer zap section.
func nestedBatchAlloc(b *builder, r interface{ Uint64N(uint64) uint64 }) {
	c := b.c
	addr := linearBase + 0x80000000 + r.Uint64N(1<<18)<<c.shift
	b.work(200, "__get_free_page")
	b.enable(sitePageattr)
	b.upd(traces.OpSet, addr, 1, 0, true, false, false, sitePageattr)
	b.disable(sitePageattr)
	b.access(addr, 1, 0, "tlb_next_batch")
}

// genMprotect: change_protection -> change_pte_range per page table;
// tlb_finish_mmu flushes the range at the end of each mprotect() call.
func genMprotect(b *builder, pages, loops int64) {
	c := b.c
	nonePm := c.opt("mprotect", "none-pm")
	start := c.userRegion(b.task, 0)
	end := start + uint64(pages)<<c.shift
	key := uint64(b.task)<<32 | 2<<60
	for range loops {
		for addr := start; addr < end; {
			tend := min(c.tableEnd(addr), end)
			b.lock()
			b.enable(siteChange)
			for ; addr < tend; addr += c.page() {
				if c.present(key, (addr-start)>>c.shift, nonePm) {
					b.upd(traces.OpModify, addr, 1, b.mm, true, true, false, siteChange)
				}
			}
			b.disable(siteChange)
			b.unlock()
		}
		b.tlbflush(start, uint32(pages), b.mm, siteTLBFinish)
	}
}

// genMremap: move_page_tables -> move_ptes per extent; an extent ends where
// either the old or the new range crosses a page table. Present PTEs are
// moved with ptep_get_and_clear + set_ptes, and flush_tlb_range of the old
// extent follows the disable (force_flush). With old and new table-aligned,
// a whole table moves as a PMD (move_normal_pmd) with no PTE updates.
func genMremap(b *builder, pages, loops int64) {
	c := b.c
	nonePm := c.opt("mremap", "none-pm")
	mis := c.opt("mremap", "misalign")
	for l := range loops {
		old := c.userRegion(b.task, int(l))
		off := uint64(mis)
		if mis < 0 && c.ptes > 1 {
			off = 1 + b.rng.Uint64N(c.ptes-1)
		}
		off %= c.ptes
		nw := (old/c.span())*c.span() + newRemapBase + ((old/c.page()+off)%c.ptes)<<c.shift
		key := uint64(b.task)<<32 | uint64(l) | 3<<60
		end := old + uint64(pages)<<c.shift
		for o, n := old, nw; o < end; {
			ext := min(c.tableEnd(o)-o, c.tableEnd(n)-n, end-o)
			if ext == c.span() && o%c.span() == 0 && n%c.span() == 0 {
				b.work(100, "move_normal_pmd")
				o, n = o+ext, n+ext
				continue
			}
			b.lock()
			b.enable(siteMove)
			moved := false
			for i := uint64(0); i < ext>>c.shift; i++ {
				a := o + i<<c.shift
				if !c.present(key, (a-old)>>c.shift, nonePm) {
					continue
				}
				b.upd(traces.OpGetClear, a, 1, b.mm, false, true, false, siteMove)
				b.upd(traces.OpSet, n+i<<c.shift, 1, b.mm, true, false, false, siteMove)
				moved = true
			}
			b.disable(siteMove)
			if moved {
				b.tlbflush(o, uint32(ext>>c.shift), b.mm, siteMove)
			}
			b.unlock()
			o, n = o+ext, n+ext
		}
	}
}

// genMadvise: madvise_cold_or_pageout_pte_range (MADV_COLD) counts every PTE
// in batch_count; at SWAP_CLUSTER_MAX (32) it resets the count and, if
// need_resched(), disables, unlocks, cond_resched()s and restarts the section
// at the same address. A young present PTE gets ptep_test_and_clear_young, an
// atomic read-modify-write of a valid entry that stays valid: the trace op
// closest to it is wrprotect (same class on every backend: atomic, not
// batched on Xen PV, an HPTE flush on ppc64 hash if hashed). MADV_FREE
// (madvise_free_pte_range, no restart rule) clears young and dirty with
// clear_young_dirty_ptes: ptep_get_and_clear then set_pte_at.
// tlb_finish_mmu flushes the range at the end of the call.
func genMadvise(b *builder, pages, loops int64) {
	c := b.c
	nonePm, reschedPm := c.opt("madvise", "none-pm"), c.opt("madvise", "resched-pm")
	youngPm, free := c.opt("madvise", "young-pm"), c.opt("madvise", "free") == 1
	site := siteCold
	if free {
		site = siteFree
	}
	for l := range loops {
		start := c.userRegion(b.task, int(l))
		end := start + uint64(pages)<<c.shift
		key := uint64(b.task)<<32 | uint64(l) | 4<<60
		var checks uint64
		for addr := start; addr < end; {
			tend := min(c.tableEnd(addr), end)
			batch := 0
			b.lock()
			b.enable(site)
			for addr < tend {
				if batch++; !free && batch == 32 {
					batch = 0
					checks++
					if c.chance(key, checks, reschedPm) {
						b.disable(site)
						b.unlock()
						b.work(reschedNs, siteResched)
						b.yieldPoint(false, false)
						b.lock()
						b.enable(site)
					}
				}
				i := (addr - start) >> c.shift
				if c.present(key, i, nonePm) && c.chance(key^5<<56, i, youngPm) {
					if free {
						b.upd(traces.OpGetClear, addr, 1, b.mm, false, true, false, site)
						b.upd(traces.OpSet, addr, 1, b.mm, true, false, false, site)
					} else {
						b.upd(traces.OpWrprotect, addr, 1, b.mm, true, true, false, site)
					}
				}
				addr += c.page()
			}
			b.disable(site)
			b.unlock()
		}
		b.tlbflush(start, uint32(pages), b.mm, siteTLBFinish)
	}
}

// genPagemapScan: pagemap_scan_pmd_entry's PM_SCAN_WP_MATCHING fast path
// write-protects each present PTE with ptep_modify_prot_start/commit
// (make_uffd_wp_pte) and calls flush_tlb_range(vma, start, addr) before
// lazy_mmu_mode_disable(): a TLB flush inside the section, over updates that
// may still be deferred.
func genPagemapScan(b *builder, pages, loops int64) {
	c := b.c
	nonePm := c.opt("pagemap-scan", "none-pm")
	for l := range loops {
		start := c.userRegion(b.task, int(l))
		end := start + uint64(pages)<<c.shift
		key := uint64(b.task)<<32 | uint64(l) | 6<<60
		for addr := start; addr < end; {
			tend := min(c.tableEnd(addr), end)
			sec := addr
			b.lock()
			b.enable(sitePagemap)
			for ; addr < tend; addr += c.page() {
				if c.present(key, (addr-start)>>c.shift, nonePm) {
					b.upd(traces.OpModify, addr, 1, b.mm, true, true, false, sitePagemap)
				}
			}
			b.tlbflush(sec, uint32((addr-sec)>>c.shift), b.mm, sitePagemap)
			b.disable(sitePagemap)
			b.unlock()
		}
	}
}

// genIRQ: per loop, a user zap section, then a vmalloc mapping and its vfree,
// each with interrupts at seeded positions inside the section.
func genIRQ(b *builder, pages, loops int64) {
	c := b.c
	irqs := c.opt("irq", "irqs")
	va := newVmap(b, false)
	for l := range loops {
		start := c.userRegion(b.task, int(l))
		n := uint64(pages)
		at := irqPositions(b, n, irqs)
		for addr, i := start, uint64(0); i < n; {
			tend := min(c.tableEnd(addr), start+n<<c.shift)
			b.lock()
			b.enable(siteZap)
			for ; addr < tend; addr, i = addr+c.page(), i+1 {
				b.upd(traces.OpGetClear, addr, 1, b.mm, false, true, false, siteZap)
				for range at[i] {
					b.irq()
				}
			}
			b.disable(siteZap)
			b.unlock()
		}
		b.tlbflush(start, uint32(n), b.mm, siteTLBFlush)
		addr := va.alloc(n)
		at = irqPositions(b, n, irqs)
		kernelRange(b, addr, n, traces.OpSet, siteVmap, at)
		b.access(addr, 1, 0, "vmalloc")
		at = irqPositions(b, n, irqs)
		kernelRange(b, addr, n, traces.OpGetClear, siteVunmap, at)
		va.free(b, n)
	}
}

// irqPositions returns, for each of n PTEs, how many interrupts follow it.
func irqPositions(b *builder, n uint64, irqs int64) []uint8 {
	at := make([]uint8, n)
	for range irqs {
		if i := b.rng.Uint64N(n); at[i] < 255 {
			at[i]++
		}
	}
	return at
}

// kernelRange emits one section per page table over n kernel pages at addr:
// set (valid) or getclear, with interrupts after the PTEs at[i] says.
func kernelRange(b *builder, addr, n uint64, op traces.Op, site string, at []uint8) {
	c := b.c
	end := addr + n<<c.shift
	i := 0
	for addr < end {
		tend := min(c.tableEnd(addr), end)
		b.enable(site)
		for ; addr < tend; addr += c.page() {
			if op == traces.OpSet {
				b.upd(op, addr, 1, 0, true, false, false, site)
			} else {
				b.upd(op, addr, 1, 0, false, true, false, site)
			}
			if at != nil {
				for range at[i] {
					b.irq()
				}
			}
			i++
		}
		b.disable(site)
	}
}
