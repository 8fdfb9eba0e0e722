package workload

import (
	"math/bits"

	"github.com/lazybench/lazybench/traces"
)

// Defaults of the vmalloc work terms. They are estimates, not measurements:
// calibration (lazybench calibrate) fits them; see docs/workloads.md.
const (
	DefaultCallWorkNs = 1500 // VA allocation + vm_struct + vfree bookkeeping per call (estimate)
	DefaultPageWorkNs = 150  // allocating and freeing one page (estimate)
	memsetNs          = 100  // kasan: memset of a new shadow page
	purgeNs           = 2000 // __purge_vmap_area_lazy bookkeeping
)

// VmallocParams are the parameters of the vmalloc workload for Go callers (the
// calibration fits the arm64 model to test_vmalloc's fix_size_alloc_test with
// it). Zero Pages, Loops, PageShift and CPUs mean 1, 1, 12 and 1.
type VmallocParams struct {
	Pages      int    // pages per vmalloc() (test_vmalloc nr_pages)
	Loops      int    // vmalloc+vfree calls (test_vmalloc test_loop_count)
	CallWorkNs uint64 // work per call not modeled in detail (VA allocation, vfree)
	PageWorkNs uint64 // work per page (page allocation and freeing)
	PTENs      uint64 // trace time per PTE update (0 = 5 ns)
	PageShift  uint8  // log2 page size
	PTEs       int    // PTEs per page table (0 = page size / 8)
	CPUs       int    // online CPUs: lazy_max_pages() scales with fls(CPUs)
	Seed       uint64
	LazyMax    int  // lazily freed pages that trigger a purge (0 = lazy_max_pages())
	KASAN      bool // also populate and depopulate the KASAN shadow (kasan-vmalloc)
}

// Values returns p as the parameters of the vmalloc (or kasan-vmalloc) workload.
func (p VmallocParams) Values() Values {
	v := Values{
		"pages": int64(max(p.Pages, 1)), "loops": int64(max(p.Loops, 1)),
		"call-work-ns": int64(p.CallWorkNs), "page-work-ns": int64(p.PageWorkNs),
		"pte-ns": 5, "page-shift": 12, "ptes": int64(p.PTEs),
		"cpus": int64(max(p.CPUs, 1)), "seed": int64(p.Seed), "lazy-max": int64(p.LazyMax),
	}
	if p.PTENs != 0 {
		v["pte-ns"] = int64(p.PTENs)
	}
	if p.PageShift != 0 {
		v["page-shift"] = int64(p.PageShift)
	}
	return v
}

// Vmalloc writes the vmalloc workload (kasan-vmalloc if p.KASAN) to s and
// returns the number of events written. It streams: memory does not grow with
// Loops.
func Vmalloc(p VmallocParams, s Sink) (int64, error) {
	name := "vmalloc"
	if p.KASAN {
		name = "kasan-vmalloc"
	}
	return Generate(name, p.Values(), s)
}

func vmallocParams(pages, loops int64, extra ...Param) []Param {
	return common(pages, loops, append([]Param{
		{Name: "call-work-ns", Default: DefaultCallWorkNs, Min: 0, Max: 1 << 40, Help: "work event per vmalloc+vfree call (VA allocation, vfree): estimate, fit by calibration"},
		{Name: "page-work-ns", Default: DefaultPageWorkNs, Min: 0, Max: 1 << 40, Help: "work per page (page allocation and freeing): estimate, fit by calibration"},
		{Name: "lazy-max", Default: 0, Min: 0, Max: 1 << 30, Help: "lazily freed pages that trigger a purge (0 = lazy_max_pages(): fls(cpus) * 32 MiB / page size)"},
	}, extra...)...)
}

func init() {
	register(&Workload{
		Name:    "vmalloc",
		Summary: "test_vmalloc fix_size_alloc_test: vmalloc(P pages) maps with kernel sets, the first byte is written, vfree getclears; lazy TLB purge",
		Source:  "mm/vmalloc.c:vmap_pages_pte_range, vunmap_pte_range; lib/test_vmalloc.c:fix_size_alloc_test",
		Params:  vmallocParams(1, 100),
		build: func(c *config) []program {
			return perTask(c, func(b *builder) { genVmalloc(b, c.get("pages"), c.get("loops"), false) })
		},
	})
	register(&Workload{
		Name:    "kasan-vmalloc",
		Summary: "vmalloc with KASAN: apply_to_page_range over the shadow, each shadow PTE set between lazy_mmu_mode_pause and resume",
		Source:  "mm/kasan/shadow.c:kasan_populate_vmalloc_pte, kasan_depopulate_vmalloc_pte; mm/memory.c:apply_to_pte_range",
		Params:  vmallocParams(64, 24),
		build: func(c *config) []program {
			return perTask(c, func(b *builder) { genVmalloc(b, c.get("pages"), c.get("loops"), true) })
		},
	})
}

// vmap models the vmalloc VA allocator of one task: areas are handed out
// upwards with a guard page each; vfree leaves the VA lazily mapped-out
// until more than lazy_max_pages() pages are pending, then
// __purge_vmap_area_lazy flushes the kernel TLB over them (and with KASAN
// depopulates their shadow) and the VA is reused from the start.
type vmap struct {
	b       *builder
	base    uint64
	cursor  uint64
	lazy    uint64
	lazyMax uint64
	kasan   bool
	shadow  map[uint64]bool // populated shadow pages
}

func newVmap(b *builder, kasan bool) *vmap {
	c := b.c
	base := vmallocBase + uint64(b.task)<<32
	return &vmap{b: b, base: base, cursor: base, kasan: kasan, shadow: map[uint64]bool{},
		// lazy_max_pages(): fls(num_online_cpus()) * (32 MiB / PAGE_SIZE)
		lazyMax: uint64(bits.Len(uint(c.cpus))) * (32 << 20 >> c.shift)}
}

// alloc returns the start of a new area of n pages (plus the guard page).
func (v *vmap) alloc(n uint64) uint64 {
	addr := v.cursor
	v.cursor += (n + 1) << v.b.c.shift
	if v.kasan {
		v.populate(addr, (n+1)<<v.b.c.shift)
	}
	return addr
}

// free accounts a vfree'd area of n pages and purges when due.
func (v *vmap) free(b *builder, n uint64) {
	v.lazy += n + 1
	if v.lazy > v.lazyMax {
		v.purge()
	}
}

func (v *vmap) purge() {
	b, c := v.b, v.b.c
	b.work(purgeNs, "__purge_vmap_area_lazy")
	b.tlbflush(v.base, uint32((v.cursor-v.base)>>c.shift), 0, "__purge_vmap_area_lazy")
	if v.kasan {
		v.depopulate(v.base, v.cursor)
	}
	v.cursor, v.lazy = v.base, 0
}

func shadowOf(addr uint64) uint64 { return addr>>kasanScale + kasanOffset }

// populate is kasan_populate_vmalloc(addr, size): apply_to_page_range over
// the shadow; kasan_populate_vmalloc_pte pauses lazy MMU mode, takes
// init_mm's page_table_lock and sets the shadow PTE if it is still none.
func (v *vmap) populate(addr, size uint64) {
	b, c := v.b, v.b.c
	pg := c.page()
	start := shadowOf(addr) &^ (pg - 1)
	end := (shadowOf(addr+size) + pg - 1) &^ (pg - 1)
	for a := start; a < end; {
		tend := min(c.tableEnd(a), end)
		b.enable(siteApply)
		for ; a < tend; a += pg {
			b.pause(siteKasanPop)
			b.work(memsetNs, "memset")
			b.lock()
			if !v.shadow[a] {
				v.shadow[a] = true
				b.upd(traces.OpSet, a, 1, 0, true, false, false, siteKasanPop)
			}
			b.unlock()
			b.resume(siteKasanPop)
		}
		b.disable(siteApply)
	}
}

// depopulate is kasan_release_vmalloc over a purged region: the shadow pages
// wholly inside it are cleared by apply_to_existing_page_range, whose
// callback only runs on present PTEs and pauses around pte_clear; then
// flush_tlb_kernel_range over the shadow.
func (v *vmap) depopulate(start, end uint64) {
	b, c := v.b, v.b.c
	pg := c.page()
	s := (shadowOf(start) + pg - 1) &^ (pg - 1)
	e := shadowOf(end) &^ (pg - 1)
	if s >= e {
		return
	}
	for a := s; a < e; {
		tend := min(c.tableEnd(a), e)
		b.enable(siteApply)
		for ; a < tend; a += pg {
			if !v.shadow[a] {
				continue
			}
			delete(v.shadow, a)
			b.pause(siteKasanDep)
			b.lock()
			b.upd(traces.OpClear, a, 1, 0, false, true, false, siteKasanDep)
			b.unlock()
			b.resume(siteKasanDep)
		}
		b.disable(siteApply)
	}
	b.tlbflush(s, uint32((e-s)>>c.shift), 0, "kasan_release_vmalloc")
}

// genVmalloc: per loop, one test_vmalloc fix_size_alloc_test iteration:
// ptr = vmalloc(pages * PAGE_SIZE); *((u8 *)ptr) = 0; vfree(ptr).
func genVmalloc(b *builder, pages, loops int64, kasan bool) {
	c := b.c
	name := "vmalloc"
	if kasan {
		name = "kasan-vmalloc"
	}
	callWork := uint64(c.opt(name, "call-work-ns"))
	pageWork := uint64(c.opt(name, "page-work-ns"))
	va := newVmap(b, kasan)
	if lm := c.opt(name, "lazy-max"); lm > 0 {
		va.lazyMax = uint64(lm)
	}
	n := uint64(pages)
	for range loops {
		b.work(callWork, "__vmalloc_node_range")
		addr := va.alloc(n)
		b.work(n*pageWork, "vm_area_alloc_pages")
		kernelRange(b, addr, n, traces.OpSet, siteVmap, nil)
		b.access(addr, 1, 0, "fix_size_alloc_test")
		kernelRange(b, addr, n, traces.OpGetClear, siteVunmap, nil)
		va.free(b, n)
	}
}
