// workload: the recorded program. Each phase drives one of the kernel's
// page-table walkers that run inside lazy MMU sections, and writes a marker to
// tracefs's trace_marker before it starts, so the trace shows the phases.
//
//   usage: workload MIB [ROUNDS [ID]]
//
// Phases per round: touch (anonymous faults), fork (copy_pte_range: parent
// write-protect, child set; the child writes half the pages (COW) and exits:
// zap_pte_range with fullmm), mprotect (change_pte_range), mremap (move_ptes),
// madvise COLD / PAGEOUT / DONTNEED (the madvise walkers and zap), munmap
// (zap), vmalloc (a BPF array map, vmalloc'd by the kernel, if allowed).
// Build: gcc -O2 -static -o workload workload.c
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/bpf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef MADV_COLD
#define MADV_COLD 20
#endif
#ifndef MADV_PAGEOUT
#define MADV_PAGEOUT 21
#endif

static int marker = -1;
static int id;

static void mark(const char *phase)
{
	char buf[128];
	int n = snprintf(buf, sizeof buf, "lazybench phase=%s proc=%d", phase, id);
	if (marker >= 0 && write(marker, buf, n) < 0)
		marker = -1;
}

static void touch(char *p, size_t len, size_t step)
{
	for (size_t off = 0; off < len; off += step)
		p[off] = (char)off;
}

static void die(const char *what)
{
	fprintf(stderr, "workload %d: %s: %s\n", id, what, strerror(errno));
	exit(1);
}

static void vmalloc_phase(void)
{
	// A BPF array map of 1 MiB is allocated with vmalloc; creating and closing
	// it maps and unmaps kernel PTEs (init_mm). Optional: ignored if refused.
	union bpf_attr attr;
	memset(&attr, 0, sizeof attr);
	attr.map_type = BPF_MAP_TYPE_ARRAY;
	attr.key_size = 4;
	attr.value_size = 4096;
	attr.max_entries = 256;
	long fd = syscall(__NR_bpf, BPF_MAP_CREATE, &attr, sizeof attr);
	if (fd >= 0)
		close((int)fd);
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: workload MIB [ROUNDS [ID]]\n");
		return 2;
	}
	size_t len = (size_t)atol(argv[1]) << 20;
	int rounds = argc > 2 ? atoi(argv[2]) : 1;
	id = argc > 3 ? atoi(argv[3]) : 0;
	long page = sysconf(_SC_PAGESIZE);
	if (len == 0 || rounds <= 0)
		return 2;
	marker = open("/sys/kernel/tracing/trace_marker", O_WRONLY);

	for (int r = 0; r < rounds; r++) {
		mark("touch");
		char *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (p == MAP_FAILED)
			die("mmap");
		touch(p, len, page);

		mark("fork");
		pid_t child = fork();
		if (child < 0)
			die("fork");
		if (child == 0) {
			touch(p, len / 2, page); // copy-on-write breaks
			_exit(0);                // exit teardown: zap with fullmm
		}
		if (waitpid(child, NULL, 0) < 0)
			die("waitpid");

		mark("mprotect");
		if (mprotect(p, len, PROT_READ) != 0 || mprotect(p, len, PROT_READ | PROT_WRITE) != 0)
			die("mprotect");

		mark("mremap");
		// Reserve a destination, then move the mapping onto it.
		char *dst = mmap(NULL, len, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (dst == MAP_FAILED)
			die("mmap dst");
		char *q = mremap(p, len, len, MREMAP_MAYMOVE | MREMAP_FIXED, dst);
		if (q == MAP_FAILED)
			die("mremap");
		p = q;

		mark("madvise");
		if (madvise(p, len / 2, MADV_COLD) != 0 && errno != EINVAL)
			die("madvise cold");
		if (madvise(p + len / 2, len / 4, MADV_PAGEOUT) != 0 && errno != EINVAL)
			die("madvise pageout");
		if (madvise(p + len / 4, len / 4, MADV_DONTNEED) != 0)
			die("madvise dontneed");
		touch(p, len, page * 2);

		mark("munmap");
		if (munmap(p, len) != 0)
			die("munmap");

		mark("vmalloc");
		vmalloc_phase();
	}
	mark("exit");
	return 0;
}
