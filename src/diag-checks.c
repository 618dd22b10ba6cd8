/*
 * doctor's checks: one function a row, in a table that says which modes
 * each applies to, run in the kernel's order (the capability and the limit
 * first, then splitting or making the mapping, then faulting the pages in),
 * so that the first failure is the errno the caller would see.
 */
#define _GNU_SOURCE
#include "diag-internal.h"
#include "size.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

bool diag_exact_sizes;

void diag_check(struct diag_report *r, const char *name, enum diag_result res,
		const char *fmt, ...)
{
	struct diag_check *c;
	va_list ap;

	if (r->nchecks >= DIAG_MAX_CHECKS)
		return;
	c = &r->checks[r->nchecks++];
	c->name = name;
	c->result = res;
	va_start(ap, fmt);
	vsnprintf(c->detail, sizeof(c->detail), fmt, ap);
	va_end(ap);
}

const char *diag_sz(uint64_t v)
{
	static char ring[8][SIZE_BUFSZ];
	static int i;

	return limit_format(v, diag_exact_sizes, ring[i++ % 8]);
}

/* Whether A and B, different, read the same as "8M"-style text. */
static bool blurred(uint64_t a, uint64_t b)
{
	char x[SIZE_BUFSZ], y[SIZE_BUFSZ];

	return a != b && strcmp(limit_format(a, false, x), limit_format(b, false, y)) == 0;
}

const char *diag_who(const struct diag_facts *f)
{
	static char buf[96];

	if (f->self)
		snprintf(buf, sizeof(buf), "a process started from this shell");
	else
		snprintf(buf, sizeof(buf), "pid %d (%s)", f->pid, f->name);
	return buf;
}

bool diag_kernel_at_least(const struct diag_facts *f, int major, int minor)
{
	return !f->kmajor || f->kmajor > major || (f->kmajor == major && f->kminor >= minor);
}

bool diag_limit_applies(const struct diag_facts *f, enum diag_mode m)
{
	/* bpf: memory cgroup accounting since 5.11 (kernel/bpf/syscall.c). */
	return !(m == MODE_BPF && diag_kernel_at_least(f, 5, 11));
}

bool diag_cap_lifts(const struct diag_facts *f, enum diag_mode m)
{
	switch (m) {
	case MODE_BPF:
		return false;	/* bpf_charge_memlock() asks no capability */
	case MODE_PERF:
		/* perf_mmap(): the check is made only while perf_is_paranoid(). */
		return caps_can_lock(&f->caps) || (f->have_perf && f->perf_paranoid <= -1);
	default:
		return caps_can_lock(&f->caps);
	}
}

/* The io_uring memory the user holds: registered buffers, and the rings
 * since they are accounted (io_uring/memmap.c io_create_region(), 6.14). */
static uint64_t uring_user(const struct diag_facts *f)
{
	return f->user.uring_bufs + (diag_kernel_at_least(f, 6, 14) ? f->user.uring_ring_bytes : 0);
}

/* perf's rings take at most the free allowance from user->locked_vm:
 * the rest went to each process's pinned_vm. */
static uint64_t perf_user(const struct diag_facts *f)
{
	uint64_t allow = f->perf_mlock_kb * 1024 * (uint64_t)(f->ncpus > 0 ? f->ncpus : 1);

	return f->user.perf_locked < allow ? f->user.perf_locked : allow;
}

/* A target with no ring yet must set one up before it registers: since
 * 6.14 that is charged first, two pages for up to 64 entries. */
static uint64_t uring_own_ring(const struct diag_facts *f)
{
	return diag_kernel_at_least(f, 6, 14) && !f->user.uring_target_rings ?
	       2 * f->page_size : 0;
}

uint64_t diag_charged_now(const struct diag_facts *f, enum diag_mode m)
{
	switch (diag_modes[m].counter) {
	case CNT_TOTAL_VM: return f->st.vmsize;
	case CNT_PINNED_VM: return f->st.vmpin;
	case CNT_USER_SHM: return f->user.shm_locked;
	case CNT_USER_LOCKED:
		/* user->locked_vm: io_uring's, and perf's rings within the
		 * free allowance, which share it. */
		return uring_user(f) + (m == MODE_IO_URING ? uring_own_ring(f) +
					perf_user(f) : 0);
	case CNT_NONE: return 0;
	default: return f->st.vmlck;
	}
}

/* Rounds B up to whole pages, as the kernel counts. */
static uint64_t pages_of(const struct diag_facts *f, uint64_t b)
{
	return size_units(b, f->page_size);
}

uint64_t diag_perf_ring_pages(const struct diag_facts *f, uint64_t size)
{
	uint64_t data = 1;

	while (data < pages_of(f, size) && data < (1ULL << 40))
		data <<= 1;
	return data + 1;
}

/*
 * perf_mmap(): the ring's pages first fill the user's free allowance
 * (perf_event_mlock_kb per online CPU, less the user's locked_vm, which
 * io_uring shares); only what is beyond it is added to pinned_vm and
 * checked.  Returns the pages beyond.
 */
static uint64_t perf_extra(const struct diag_facts *f, uint64_t pages, uint64_t *allowance)
{
	uint64_t used = pages_of(f, uring_user(f) + f->user.perf_locked), free_pages;

	*allowance = f->perf_mlock_kb * 1024 / f->page_size * (uint64_t)(f->ncpus > 0 ? f->ncpus : 1);
	if (used > *allowance)
		used = *allowance;
	free_pages = *allowance - used;
	return pages > free_pages ? pages - free_pages : 0;
}

/* The pages of the user's perf allowance still free. */
static uint64_t perf_free(const struct diag_facts *f, uint64_t allowance)
{
	uint64_t used = pages_of(f, uring_user(f) + f->user.perf_locked);

	return used < allowance ? allowance - used : 0;
}

static void check_limit(const struct diag_facts *f, struct diag_report *r, const char *name)
{
	const struct diag_mode_info *m = &diag_modes[r->mode];
	uint64_t soft = f->lim.soft, hard = f->lim.hard, now = diag_charged_now(f, r->mode);
	uint64_t asked = 0, held = 0, extra = 0, allowance = 0;
	bool can = diag_cap_lifts(f, r->mode);
	char whatbuf[200];
	const char *what = m->what;

	/* mm/mmap.c do_mmap(): a new mapping beyond vm.max_map_count is
	 * refused (ENOMEM) before can_do_mlock(), mlock_future_ok() or the
	 * driver's mmap (perf_mmap()) are reached. */
	if (m->maps && f->have_maps && f->map_count > f->max_map_count) {
		diag_check(r, name, DIAG_INFO, "not reached: do_mmap() refuses the mapping first, "
			   "beyond vm.max_map_count");
		return;
	}
	if (!diag_limit_applies(f, r->mode)) {
		diag_check(r, name, DIAG_OK, "kernel %s: bpf maps are charged to the memory cgroup "
			   "since 5.11; RLIMIT_MEMLOCK does not apply", f->kernel);
		r->headroom_unlimited = true;
		return;
	}
	/* In whole pages, as the kernel counts (mm/mlock.c, do_mlock(): len
	 * is PAGE_ALIGN()ed, then locked_vm added).  SIZE is below 2^63 and
	 * what is held is the kernel's, so this cannot wrap; if it did, the
	 * charge would be the largest figure, never a small one. */
	if (size_align_up(r->size, f->page_size, &asked) != 0 ||
	    size_align_up(now, f->page_size, &held) != 0)
		asked = held = UINT64_MAX / 2;
	if (r->mode == MODE_PERF && r->has_size) {
		extra = perf_extra(f, diag_perf_ring_pages(f, r->size), &allowance) *
			f->page_size;
		snprintf(whatbuf, sizeof(whatbuf), "VmPin, plus the ring's pages beyond the "
			 "user's free perf allowance (%s: kernel.perf_event_mlock_kb %lluK x %ld "
			 "CPUs, less %s of io_uring and %s of the user's other perf rings),",
			 diag_sz(allowance * f->page_size), (unsigned long long)f->perf_mlock_kb,
			 f->ncpus, diag_sz(uring_user(f)), diag_sz(f->user.perf_locked));
		asked = extra;
		what = whatbuf;
	}
	if (size_add(held, asked, &r->charge) != 0)
		r->charge = UINT64_MAX;
	/* "VmLck 3M + 4K = 3M", "8M is over 8M": figures that rounding
	 * blurs are written in bytes, in this check. */
	if (blurred(now, r->charge) || blurred(r->charge, soft))
		diag_exact_sizes = true;
	r->headroom_unlimited = can || soft == SIZE_UNLIMITED;
	r->headroom = soft > now ? (soft - now) / f->page_size * f->page_size : 0;
	/* perf: the free allowance comes first, whatever the limit. */
	if (r->mode == MODE_PERF && !r->headroom_unlimited) {
		uint64_t free_pages = perf_extra(f, 0, &allowance) == 0 ?
				      perf_free(f, allowance) : 0;

		r->headroom += free_pages * f->page_size;
	}
	/* shmctl_do_lock()'s EPERM at a limit of 0 is skipped with
	 * CAP_IPC_LOCK in the IPC namespace's owner; user_shm_lock() then
	 * refuses with ENOMEM (it asks capable(), in the initial one). */
	if (!can && soft == 0 && m->zero && !(r->mode == MODE_SHM && f->ipcns_cap)) {
		/* (perf has no such rule: m->zero is 0 there.) */
		diag_check(r, name, DIAG_FAIL, "the soft RLIMIT_MEMLOCK is 0 and CAP_IPC_LOCK is "
			   "not effective%s: %s fails with %s", r->mode == MODE_SHM ?
			   " in the IPC namespace's owner" : "", m->counter == CNT_LOCKED_VM ||
			   m->counter == CNT_TOTAL_VM ? "any lock" : m->call,
			   diag_errno_name(-m->zero));
		r->err = -m->zero;
		r->limit_failed = true;
	} else if (can || soft == SIZE_UNLIMITED) {
		diag_check(r, name, DIAG_OK, "soft %s, hard %s: %s", diag_sz(soft), diag_sz(hard),
			   can ? (r->mode == MODE_PERF && !caps_can_lock(&f->caps) ?
				  "not applied (kernel.perf_event_paranoid is -1)" :
				  "not applied (CAP_IPC_LOCK)") : "unlimited");
	} else if (r->mode == MODE_PERF && r->has_size && extra == 0) {
		diag_check(r, name, DIAG_OK, "the ring fits in the user's perf allowance (%s): "
			   "nothing is checked against the soft limit %s",
			   diag_sz(allowance * f->page_size), diag_sz(soft));
	} else if (!r->has_size && r->headroom == 0) {
		diag_check(r, name, DIAG_FAIL, "soft %s, hard %s; %s %s: nothing more can be "
			   "%s, %s fails with %s", diag_sz(soft), diag_sz(hard), what,
			   diag_sz(now), m->verb, m->call, diag_errno_name(-m->over));
		r->err = -m->over;
		r->limit_failed = true;
	} else if (!r->has_size) {
		diag_check(r, name, DIAG_INFO, "soft %s, hard %s; %s %s: %s more can be %s",
			   diag_sz(soft), diag_sz(hard), what, diag_sz(now), diag_sz(r->headroom),
			   m->verb);
	} else if (r->charge / f->page_size > soft / f->page_size) {
		diag_check(r, name, DIAG_FAIL, "%s %s + %s = %s is over the soft RLIMIT_MEMLOCK "
			   "%s: %s", what, diag_sz(now),
			   diag_sz(asked), diag_sz(r->charge), diag_sz(soft),
			   diag_errno_name(-m->over));
		r->err = -m->over;
		r->limit_failed = true;
	} else {
		diag_check(r, name, DIAG_OK, "%s %s + %s = %s is within the soft RLIMIT_MEMLOCK %s",
			   what, diag_sz(now), diag_sz(asked),
			   diag_sz(r->charge), diag_sz(soft));
	}
}

static void check_hard(const struct diag_facts *f, struct diag_report *r, const char *name)
{
	uint64_t soft = f->lim.soft, hard = f->lim.hard;

	if (diag_cap_lifts(f, r->mode) || soft == hard || !(r->err || !r->has_size) ||
	    !diag_limit_applies(f, r->mode))
		return;
	diag_check(r, name, DIAG_INFO, hard == SIZE_UNLIMITED || hard >= r->charge ?
		   "the hard limit %s leaves room: raising the soft limit needs no privilege" :
		   "the hard limit %s is too low too: raising it needs CAP_SYS_RESOURCE",
		   diag_sz(hard));
}

static void check_caps(const struct diag_facts *f, struct diag_report *r, const char *name)
{
	const struct cap_state *c = &f->caps;

	if (r->mode == MODE_BPF)
		diag_check(r, name, DIAG_INFO, "%s: bpf's memlock charge exempts no capability",
			   c->ipc_lock.effective ? "effective" : "not held");
	else if (c->ipc_lock.effective && c->userns)
		diag_check(r, name, DIAG_WARN, "effective, but inside a user namespace other "
			   "than the initial one: the kernel asks capable() and ignores it%s",
			   r->mode == MODE_SHM && f->ipcns_cap ? " (it does count for shmctl's "
			   "EPERM check: its namespace owns the IPC namespace)" : "");
	else if (c->ipc_lock.effective)
		diag_check(r, name, DIAG_OK, "effective: RLIMIT_MEMLOCK does not apply%s",
			   r->mode == MODE_IO_URING ? " to rings set up while it is held" : "");
	else if (c->ipc_lock.permitted)
		diag_check(r, name, DIAG_WARN, "permitted but not effective: the process could "
			   "raise it (cap_set_proc) and the limit would not apply");
	else
		diag_check(r, name, DIAG_INFO, "not held%s: RLIMIT_MEMLOCK applies",
			   c->ipc_lock.bounding ? "" : ", not even in the bounding set");
}

static void check_rule(const struct diag_facts *f, struct diag_report *r, const char *name)
{
	const struct diag_mode_info *m = &diag_modes[r->mode];

	if (r->mode == MODE_MLOCKALL)
		diag_check(r, name, DIAG_INFO, "MCL_CURRENT charges the whole virtual size, "
			   "VmSize %s, not the resident %s (mm/mlock.c mlockall(): total_vm "
			   "against the soft limit; it splits no mapping)%s", diag_sz(f->st.vmsize),
			   diag_sz(f->st.vmrss), f->self ? "; memlock's own VmSize stands in for "
			   "the program's, which is larger: use -p with the program's pid" : "");
	else if (r->mode == MODE_PERF && f->have_perf)
		diag_check(r, name, DIAG_INFO, "%s; here %llu KiB x %ld CPUs, paranoid %lld",
			   m->rule, (unsigned long long)f->perf_mlock_kb, f->ncpus,
			   (long long)f->perf_paranoid);
	else
		diag_check(r, name, DIAG_INFO, "%s", m->rule);
}

/* mm/vma.c __split_vma(): ENOMEM once map_count reaches the maximum;
 * mm/mmap.c do_mmap(): ENOMEM once it is beyond. */
static void check_maps(const struct diag_facts *f, struct diag_report *r, const char *name)
{
	const struct diag_mode_info *m = &diag_modes[r->mode];
	unsigned long long n = f->map_count, max = f->max_map_count;

	if (!m->splits && !m->maps)
		return;
	if (!f->have_maps && strcmp(f->maps_unread, "maps") == 0) {
		diag_check(r, name, DIAG_INFO, "could not read %s/%d/maps", PROCFS_ROOT, f->pid);
	} else if (!f->have_maps) {
		diag_check(r, name, DIAG_INFO, "%llu mappings; could not read %s/%s", n,
			   PROCFS_ROOT, f->maps_unread);
	} else if (n > max) {
		diag_check(r, name, DIAG_FAIL, "%llu mappings, over vm.max_map_count %llu: a new "
			   "mapping fails with ENOMEM", n, max);
		if (!r->err)
			r->err = -ENOMEM;
	} else if (n == max && m->splits) {
		diag_check(r, name, DIAG_WARN, "%llu mappings, at vm.max_map_count: a new mapping "
			   "still fits, but locking part of one fails with ENOMEM (a split needs "
			   "one more)", n);
	} else if (n + 1 == max && m->splits) {
		diag_check(r, name, DIAG_WARN, "%llu mappings, one below vm.max_map_count: locking "
			   "the middle of a mapping fails with ENOMEM (two splits; the first one "
			   "stays)", n);
	} else {
		diag_check(r, name, n + 2 >= max ? DIAG_WARN : DIAG_OK, "%llu mappings of "
			   "vm.max_map_count %llu%s", n, max, m->splits ?
			   " (locking part of a mapping splits it)" : "");
	}
}

static void check_shm(const struct diag_facts *f, struct diag_report *r, const char *name)
{
	const struct diag_user *u = &f->user;
	bool mine = r->mode == MODE_SHM;

	if (!u->have_shm) {
		/* SHM_LOCK is charged to these: without them, no answer. */
		diag_check(r, name, mine ? DIAG_WARN : DIAG_INFO, "could not read %s/sysvipc/shm%s",
			   PROCFS_ROOT, u->shm_other_ns ? " of its IPC namespace (joining it "
			   "needs CAP_SYS_ADMIN)" : "");
		/* With the capability, or no limit, the sum does not matter. */
		if (mine && !diag_cap_lifts(f, r->mode) && f->lim.soft != SIZE_UNLIMITED)
			r->shm_unknown = true;
	} else if (u->shm_segs == 0) {
		diag_check(r, name, DIAG_OK, "no System V segment of uid %u is locked%s", f->uid,
			   u->shm_other_ns ? " in its IPC namespace" : "");
	} else {
		diag_check(r, name, u->shm_stale ? DIAG_WARN : DIAG_INFO,
			   "%llu segment%s of uid %u locked with SHM_LOCK, %s (never in VmLck)%s",
			   (unsigned long long)u->shm_segs, u->shm_segs == 1 ? "" : "s", f->uid,
			   diag_sz(u->shm_locked), u->shm_stale ?
			   "; some are attached by no process" : "");
	}
}

/*
 * fs/hugetlbfs/inode.c hugetlb_file_setup(): shmget(SHM_HUGETLB) needs
 * can_do_hugetlb_shm(), CAP_IPC_LOCK or the group vm.hugetlb_shm_group.
 * Since 5.16 (commit "mm,hugetlb: remove mlock ulimit for SHM_HUGETLB")
 * the limit neither grants it nor is charged: EPERM; before, the segment
 * was charged with user_shm_lock() at shmget, EPERM over the limit.
 */
static void check_hugetlb(const struct diag_facts *f, struct diag_report *r, const char *name)
{
	if (!f->have_hugetlb)
		return;
	if (f->in_hugetlb_group || caps_can_lock(&f->caps))
		diag_check(r, name, DIAG_INFO, "SHM_HUGETLB segments may be made and are not "
			   "charged: %s", caps_can_lock(&f->caps) ? "CAP_IPC_LOCK" :
			   "it is in the group vm.hugetlb_shm_group");
	else if (diag_kernel_at_least(f, 5, 16))
		diag_check(r, name, DIAG_INFO, "shmget(SHM_HUGETLB) is refused with EPERM, "
			   "whatever the limit: not in group %llu (vm.hugetlb_shm_group) and no "
			   "CAP_IPC_LOCK (fs/hugetlbfs/inode.c hugetlb_file_setup(), since 5.16)",
			   (unsigned long long)f->hugetlb_group);
	else
		diag_check(r, name, DIAG_INFO, "a SHM_HUGETLB segment is charged like SHM_LOCK "
			   "when shmget() makes it, and refused with EPERM over the limit "
			   "(fs/hugetlbfs/inode.c hugetlb_file_setup(), before 5.16), unless in "
			   "group %llu (vm.hugetlb_shm_group)", (unsigned long long)f->hugetlb_group);
}

static void check_uring(const struct diag_facts *f, struct diag_report *r, const char *name)
{
	const struct diag_user *u = &f->user;
	bool mine = r->mode == MODE_IO_URING || r->mode == MODE_PERF;

	bool matters = mine && !diag_cap_lifts(f, r->mode) && f->lim.soft != SIZE_UNLIMITED;

	if (!u->have_uring) {
		diag_check(r, name, mine ? DIAG_WARN : DIAG_INFO, "could not list %s, so not the "
			   "io_uring instances of uid %u's processes", PROCFS_ROOT, f->uid);
		if (matters)
			r->unknown = true;
		return;
	}
	if (!u->uring_rings && !mine && !u->uring_hidden && !u->perf_locked)
		return;
	if (r->mode == MODE_IO_URING && uring_own_ring(f))
		diag_check(r, "io_uring_ring", DIAG_INFO, "%s has no io_uring instance yet: the "
			   "one it sets up is charged first, %s for up to 64 entries "
			   "(io_uring/memmap.c, since 6.14), and counted here", diag_who(f),
			   diag_sz(uring_own_ring(f)));
	diag_check(r, name, u->uring_hidden && mine ? DIAG_WARN : DIAG_INFO,
		   "%llu io_uring instance%s among %llu processes of uid %u: %s of registered "
		   "buffers%s%s (VmPin, never VmLck); %s of perf rings%s",
		   (unsigned long long)u->uring_rings,
		   u->uring_rings == 1 ? "" : "s", (unsigned long long)u->uring_procs, f->uid,
		   diag_sz(u->uring_bufs), diag_kernel_at_least(f, 6, 14) ? " and about " : "",
		   diag_kernel_at_least(f, 6, 14) ? diag_sz(u->uring_ring_bytes) : "",
		   diag_sz(u->perf_locked), u->uring_hidden ? "; some descriptors could not be read, so these are a "
		   "lower bound" : "");
	if (u->uring_hidden && matters && !r->err)
		r->unknown = true;
}

static void check_cgroup(const struct diag_facts *f, struct diag_report *r, const char *name)
{
	const struct memcg *cg = &f->mem.cg;
	uint64_t need = diag_modes[r->mode].faults ? r->size : 0;

	if (f->mem.cg_err) {
		diag_check(r, name, r->has_size && need ? DIAG_WARN : DIAG_INFO,
			   "could not read %s: %s", f->mem.cg_bad, f->mem.cg_err == -ENOTSUP ?
			   "not a cgroup filesystem" : strerror(-f->mem.cg_err));
	} else if (cg->none) {
		diag_check(r, name, DIAG_OK, "in no memory cgroup: no cgroup limit applies");
	} else if (!cg->limited) {
		diag_check(r, name, DIAG_OK, "memory cgroup %s (v%d): no limit", cg->path,
			   cg->v1 ? 1 : 2);
	} else if (r->has_size && need > procfs_memcg_room(cg)) {
		/* Reclaim takes the page cache back first; what is left is
		 * fought over by the OOM killer (mm/memcontrol.c try_charge). */
		diag_check(r, name, DIAG_FAIL, "memory cgroup %s (v%d): %s used, %s of it "
			   "reclaimable cache, + %s is over its limit %s: reclaim, then the OOM "
			   "killer, or EAGAIN", cg->path, cg->v1 ? 1 : 2, diag_sz(cg->usage),
			   diag_sz(cg->reclaimable), diag_sz(need), diag_sz(cg->limit));
		if (!r->err) {
			r->err = -EAGAIN;
			r->oom = true;
		}
	} else {
		diag_check(r, name, DIAG_OK, "memory cgroup %s (v%d): %s used (%s reclaimable "
			   "cache) of %s", cg->path, cg->v1 ? 1 : 2, diag_sz(cg->usage),
			   diag_sz(cg->reclaimable), diag_sz(cg->limit));
	}
}

/*
 * The buffer must be mapped before it is locked: under the heuristic
 * overcommit (vm.overcommit_memory 0) mmap() refuses more than RAM + swap
 * (mm/util.c __vm_enough_memory(): ENOMEM); under 2, more than CommitLimit
 * less Committed_AS; under 1 it maps, and faulting in fails (EAGAIN) or
 * the OOM killer acts.  Then MemAvailable says whether others are pushed out.
 */
static void check_memory(const struct diag_facts *f, struct diag_report *r, const char *name)
{
	const struct meminfo *mi = &f->mem.mi;
	uint64_t need = diag_modes[r->mode].faults ? r->size : 0;
	/* The buffer is mapped (and accounted) whatever faults it in. */
	uint64_t mapped = r->mode == MODE_PERF || r->mode == MODE_BPF ? 0 : r->size;
	uint64_t ram_swap = mi->total + ((mi->have & MI_SWAP) ? mi->swap_total : 0);

	if (f->mem.mi_err) {
		diag_check(r, name, r->has_size && need ? DIAG_WARN : DIAG_INFO,
			   "could not read MemAvailable in %s/meminfo: %s", PROCFS_ROOT,
			   f->mem.mi_err == -ENODATA ? "not there" : strerror(-f->mem.mi_err));
	} else if (r->has_size && mapped && f->have_overcommit && f->overcommit == 0 &&
		   (mi->have & MI_TOTAL) && mapped > ram_swap) {
		diag_check(r, name, DIAG_FAIL, "%s is more than RAM and swap, %s: under "
			   "vm.overcommit_memory 0 mmap() of the buffer fails with ENOMEM",
			   diag_sz(mapped), diag_sz(ram_swap));
		if (!r->err)
			r->err = -ENOMEM;
	} else if (r->has_size && mapped && f->have_overcommit && f->overcommit == 2 &&
		   (mi->have & (MI_COMMIT | MI_COMMITTED)) == (MI_COMMIT | MI_COMMITTED) &&
		   mapped > (mi->commit_limit > mi->committed ? mi->commit_limit - mi->committed : 0)) {
		diag_check(r, name, DIAG_FAIL, "%s is more than CommitLimit %s less Committed_AS "
			   "%s: under vm.overcommit_memory 2 mmap() fails with ENOMEM",
			   diag_sz(mapped), diag_sz(mi->commit_limit), diag_sz(mi->committed));
		if (!r->err)
			r->err = -ENOMEM;
	} else if (r->has_size && need && (mi->have & MI_TOTAL) && need > mi->total) {
		diag_check(r, name, DIAG_FAIL, "%s is more than all RAM, %s: faulting in fails "
			   "(EAGAIN) or the OOM killer acts", diag_sz(need), diag_sz(mi->total));
		if (!r->err)
			r->err = -EAGAIN;
	} else if (r->has_size && need > mi->available) {
		diag_check(r, name, DIAG_WARN, "%s is more than MemAvailable %s: the kernel must "
			   "reclaim or swap others out first", diag_sz(need), diag_sz(mi->available));
	} else {
		diag_check(r, name, DIAG_OK, "MemAvailable %s", diag_sz(mi->available));
	}
	/* Nothing else failed, and what decides the rest cannot be read:
	 * say so rather than "would succeed". */
	if (!r->err && memguard_check(&f->mem, r->has_size ? need : 1) == GUARD_UNKNOWN)
		r->unknown = true;
}

static void check_kernel(const struct diag_facts *f, struct diag_report *r, const char *name)
{
	diag_check(r, name, DIAG_INFO, "%s: the default RLIMIT_MEMLOCK is 8M since 5.16 "
		   "(64K before; include/uapi/linux/resource.h MLOCK_LIMIT)", f->kernel);
}

static void check_origin(const struct diag_facts *f, struct diag_report *r, const char *name)
{
	const struct diag_provenance *p = &f->prov;

	if (!p->n)
		return;
	if (p->set_at >= 0)
		diag_check(r, name, DIAG_INFO, "%s: set at pid %d (%s)%s%s",
			   diag_origin_name(p->origin), p->link[p->set_at].pid,
			   p->link[p->set_at].name, p->config[0] ? ", " : "", p->config);
	else
		diag_check(r, name, DIAG_INFO, "%s: unchanged from pid %d (%s)%s%s",
			   diag_origin_name(p->origin), p->link[p->n - 1].pid,
			   p->link[p->n - 1].name, p->config[0] ? ", " : "", p->config);
}

#define ALL ((1u << MODE_COUNT) - 1)
#define M(x) (1u << MODE_##x)

static const struct {
	const char *name;
	unsigned modes;
	void (*fn)(const struct diag_facts *, struct diag_report *, const char *);
} check_table[] = {
	/* In the kernel's order: can_do_mlock() (EPERM), the limit
	 * (ENOMEM/EAGAIN), splitting or making the mapping (ENOMEM),
	 * faulting in (EAGAIN, the OOM killer). */
	{ "limit", ALL, check_limit },
	{ "hard_limit", ALL, check_hard },
	{ "cap_ipc_lock", ALL, check_caps },
	{ "origin", ALL, check_origin },
	{ "rule", ALL, check_rule },
	{ "map_count", ALL, check_maps },
	{ "shm_locked", ALL, check_shm },
	{ "shm_hugetlb", M(SHM), check_hugetlb },
	{ "io_uring", ALL, check_uring },
	{ "cgroup", ALL & ~M(BPF), check_cgroup },
	{ "memory", ALL, check_memory },
	{ "kernel", ALL, check_kernel },
};

static void verdict(const struct diag_facts *f, struct diag_report *r)
{
	const char *why = "", *call = diag_modes[r->mode].call;

	for (int i = 0; i < r->nchecks; i++)
		if (r->checks[i].result == DIAG_FAIL) {
			why = r->checks[i].detail;
			r->failed = r->checks[i].name;
			break;
		}
	if (r->err && !r->has_size && r->limit_failed)
		snprintf(r->verdict, sizeof(r->verdict), "headroom: %s more can be %s in %s: "
			 "%s returns %s", diag_sz(r->headroom), diag_modes[r->mode].verb,
			 diag_who(f), call, diag_errno_name(r->err));
	else if (r->oom)
		snprintf(r->verdict, sizeof(r->verdict), "would fail: the memory cgroup's OOM "
			 "killer ends %s during %s (or it returns EAGAIN): %s", diag_who(f),
			 call, why);
	else if (r->err)
		snprintf(r->verdict, sizeof(r->verdict), "would fail: %s returns %s in %s: %s",
			 call, diag_errno_name(r->err), diag_who(f), why);
	else if (r->shm_unknown)
		snprintf(r->verdict, sizeof(r->verdict), "could not tell: %s is charged with "
			 "the user's locked segments, and %s/sysvipc/shm, which lists them, "
			 "cannot be read", call, PROCFS_ROOT);
	else if (r->unknown && (f->user.uring_hidden || !f->user.have_uring))
		snprintf(r->verdict, sizeof(r->verdict), "could not tell: %s is charged with "
			 "the io_uring memory of all of uid %u's processes, and not all of them "
			 "can be read", call, f->uid);
	else if (r->unknown)
		snprintf(r->verdict, sizeof(r->verdict), "could not tell: the limit allows %s, "
			 "but whether %s fits in memory depends on %s, which cannot be read",
			 diag_who(f), r->has_size ? diag_sz(r->size) : "more", diag_unreadable(f));
	else if (r->has_size)
		snprintf(r->verdict, sizeof(r->verdict), "would succeed: %s of %s in %s "
			 "returns 0", call, diag_sz(r->size), diag_who(f));
	else if (r->headroom_unlimited)
		snprintf(r->verdict, sizeof(r->verdict), "headroom: no limit applies to %s "
			 "(%s); memory is the bound", diag_who(f),
			 !diag_limit_applies(f, r->mode) ? "the memory cgroup charges it" :
			 f->lim.soft == SIZE_UNLIMITED ? "RLIMIT_MEMLOCK is unlimited" :
			 "CAP_IPC_LOCK");
	else
		snprintf(r->verdict, sizeof(r->verdict), "headroom: %s more can be %s in %s",
			 diag_sz(r->headroom), diag_modes[r->mode].verb, diag_who(f));
}

void diag_evaluate(const struct diag_facts *f, enum diag_mode mode, bool has_size,
		   uint64_t size, bool exact, struct diag_report *r)
{
	memset(r, 0, sizeof(*r));
	r->mode = mode;
	r->has_size = has_size;
	r->size = has_size ? size : 0;
	for (size_t i = 0; i < sizeof(check_table) / sizeof(check_table[0]); i++) {
		diag_exact_sizes = exact;
		if (check_table[i].modes & (1u << mode))
			check_table[i].fn(f, r, check_table[i].name);
	}
	if (r->shm_unknown && !r->err)
		r->unknown = true;
	diag_exact_sizes = exact;
	verdict(f, r);
	diag_remedies(f, r);
}

const char *diag_result_name(enum diag_result r)
{
	static const char *const names[] = {
		[DIAG_OK] = "ok", [DIAG_INFO] = "info", [DIAG_WARN] = "warn", [DIAG_FAIL] = "fail",
	};
	return names[r];
}

const char *diag_errno_name(int err)
{
	const char *n = err ? strerrorname_np(-err) : "0";

	return n ? n : "?";
}
