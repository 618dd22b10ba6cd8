/*
 * Unit test of doctor's engine: diag_evaluate() over facts made up by hand
 * (every mode at, under and over its limit, a soft limit of 0, the
 * capability in and out of a user namespace, the map count, the memory
 * cgroup, overcommit, what cannot be read, and the remedies each origin
 * gets), and diag_provenance() over the fixture trees in
 * tests/fixtures/diag (a fake /proc and fake /etc trees).
 *
 * A case marked with .bug asserts the kernel's (or systemd's, or
 * pam_limits') rule where the code is known to disagree: it is reported as
 * KNOWN-BUG and does not fail the run; if it starts to pass, it fails the
 * run, so that the mark is removed.
 *
 * Usage: diag-test FIXTURE_DIR
 * Prints "FAIL case: expected X, got Y" per failing case, and at the end
 * "N cases, M failed, P passed, K known bugs"; exits 1 if any failed.
 */
#define _GNU_SOURCE
#include "diag-internal.h"
#include "procfs.h"
#include "size.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define K 1024ULL
#define M (1024ULL * K)
#define G (1024ULL * M)
#define PAGE 4096ULL
#define UNL SIZE_UNLIMITED

static int ncases, nfailed, nbugs;

/* One case's outcome: the first expectation it missed, if any. */
struct ctx {
	const char *name;
	char why[700];
};

static void miss(struct ctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void miss(struct ctx *c, const char *fmt, ...)
{
	va_list ap;

	if (c->why[0])
		return;
	va_start(ap, fmt);
	vsnprintf(c->why, sizeof(c->why), fmt, ap);
	va_end(ap);
}

static void expect_errno(struct ctx *c, const char *what, int want, int got)
{
	if (want != got)
		miss(c, "%s %s, got %s", what, diag_errno_name(want), diag_errno_name(got));
}

static void expect_bool(struct ctx *c, const char *what, bool want, bool got)
{
	if (want != got)
		miss(c, "%s %s, got %s", what, want ? "true" : "false", got ? "true" : "false");
}

static void expect_u64(struct ctx *c, const char *what, uint64_t want, uint64_t got)
{
	if (want != got)
		miss(c, "%s %llu, got %llu", what, (unsigned long long)want,
		     (unsigned long long)got);
}

static void expect_int(struct ctx *c, const char *what, long long want, long long got)
{
	if (want != got)
		miss(c, "%s %lld, got %lld", what, want, got);
}

static void expect_str(struct ctx *c, const char *what, const char *want, const char *got)
{
	if (strcmp(want ? want : "", got) != 0)
		miss(c, "%s \"%s\", got \"%s\"", what, want ? want : "", got);
}

static void expect_has(struct ctx *c, const char *what, const char *text, const char *sub)
{
	if (!strstr(text, sub))
		miss(c, "%s to contain \"%s\", got \"%s\"", what, sub, text);
}

/* Counts the case, and says how it went.  BUG: the case shows a known
 * bug (see the header). */
static void finish(struct ctx *c, const char *bug)
{
	ncases++;
	if (bug && c->why[0]) {
		nbugs++;
		printf("KNOWN-BUG %s: expected %s [%s]\n", c->name, c->why, bug);
	} else if (bug) {
		nfailed++;
		printf("FAIL %s: marked as a known bug (%s) but passes: remove the mark\n",
		       c->name, bug);
	} else if (c->why[0]) {
		nfailed++;
		printf("FAIL %s: expected %s\n", c->name, c->why);
	}
}

/* ---- diag_evaluate() over made-up facts ---- */

/* Facts that decide nothing: an 8M limit, nothing held, plenty of RAM, no
 * memory cgroup, every counter readable, CAP_IPC_LOCK only in the
 * bounding set, kernel 6.13. */
static void base_facts(struct diag_facts *f)
{
	memset(f, 0, sizeof(*f));
	f->pid = 4242;
	snprintf(f->name, sizeof(f->name), "app");
	f->uid = 65534;
	f->page_size = PAGE;
	f->lim.soft = f->lim.hard = 8 * M;
	f->lim.source = RL_PROCFS;
	f->st.vmsize = 64 * M;
	f->st.vmrss = 16 * M;
	f->st.have = PS_NAME | PS_UID | PS_PPID | PS_VMLCK | PS_VMPIN | PS_VMSIZE | PS_VMRSS;
	f->caps.ipc_lock.bounding = true;
	f->caps.userns_known = true;
	f->have_caps = true;
	f->have_maps = true;
	f->map_count = 100;
	f->max_map_count = 65530;
	f->user.have_shm = true;
	f->user.have_uring = true;
	f->user.uring_procs = 3;
	f->mem.mi.total = 16 * G;
	f->mem.mi.available = 8 * G;
	f->mem.mi.have = MI_TOTAL | MI_AVAILABLE | MI_SWAP;
	f->mem.cg.none = true;
	snprintf(f->kernel, sizeof(f->kernel), "6.13.0");
	f->kmajor = 6;
	f->kminor = 13;
	f->perf_mlock_kb = 516;
	f->perf_paranoid = 2;
	f->have_perf = true;
	f->ncpus = 2;
	f->overcommit = 0;
	f->have_overcommit = true;
	f->prov.set_at = -1;
}

static void set_kernel(struct diag_facts *f, int major, int minor)
{
	f->kmajor = major;
	f->kminor = minor;
	snprintf(f->kernel, sizeof(f->kernel), "%d.%d.0", major, minor);
}

/* BYTES already held where MODE's limit check counts them. */
static void set_held(struct diag_facts *f, enum diag_mode mode, uint64_t bytes)
{
	switch (diag_modes[mode].counter) {
	case CNT_TOTAL_VM:
		f->st.vmsize = bytes;
		break;
	case CNT_PINNED_VM:
		f->st.vmpin = bytes;
		break;
	case CNT_USER_SHM:
		f->user.shm_locked = bytes;
		f->user.shm_segs = bytes ? 1 : 0;
		break;
	case CNT_USER_LOCKED:
		f->user.uring_bufs = bytes;
		f->user.uring_rings = bytes ? 1 : 0;
		break;
	case CNT_NONE:
		break;
	default:
		f->st.vmlck = bytes;
		break;
	}
}

enum {
	C_EFF = 1, C_PRM = 2, C_NOBND = 4, C_USERNS = 8, C_IPCNS = 16,
};

static void set_caps(struct diag_facts *f, unsigned caps)
{
	f->caps.ipc_lock.effective = caps & C_EFF;
	f->caps.ipc_lock.permitted = caps & (C_EFF | C_PRM);
	f->caps.ipc_lock.bounding = !(caps & C_NOBND);
	f->caps.userns = caps & C_USERNS;
	f->ipcns_cap = caps & C_IPCNS;
}

/* What a report must say besides the errno. */
enum {
	X_UNKNOWN = 1,		/* r.unknown */
	X_OOM = 2,		/* r.oom */
	X_LIMIT = 4,		/* r.limit_failed */
	X_NOREMEDY = 8,		/* no remedy at all */
	X_HEADROOM = 16,	/* r.headroom == .headroom */
	X_CHARGE = 32,		/* r.charge == .charge */
	X_UNLIMITED = 64,	/* r.headroom_unlimited */
};

struct eval_case {
	const char *name;
	enum diag_mode mode;
	uint64_t soft, hard, held;	/* held: where the mode counts */
	unsigned caps;			/* C_* */
	void (*setup)(struct diag_facts *f);
	bool has_size;
	uint64_t size;
	int err;			/* 0, -EPERM, -ENOMEM, -EAGAIN */
	unsigned flags;			/* X_*: the flags not named must be false */
	uint64_t headroom, charge;
	const char *first;		/* in the first remedy */
	const char *some;		/* in some remedy */
	const char *none;		/* in no remedy */
	const char *none2;		/* in no remedy either */
	const char *verdict;		/* in the verdict */
	const char *check, *detail;	/* that check's detail holds DETAIL */
	const char *bug;		/* a known bug: the rule the code breaks */
};

static bool any_remedy(const struct diag_report *r, const char *sub)
{
	for (int i = 0; i < r->nremedies; i++)
		if (strstr(r->remedies[i], sub))
			return true;
	return false;
}

static const struct diag_check *find_check(const struct diag_report *r, const char *name)
{
	for (int i = 0; i < r->nchecks; i++)
		if (strcmp(r->checks[i].name, name) == 0)
			return &r->checks[i];
	return NULL;
}

/* What every report must be: sentences without printf leftovers, a
 * verdict, and when it fails, remedies that say something. */
static void report_sane(struct ctx *c, const struct diag_report *r)
{
	if (r->nchecks == 0)
		miss(c, "some checks, got none");
	for (int i = 0; i < r->nchecks; i++) {
		if (!r->checks[i].detail[0])
			miss(c, "check %s to have a detail", r->checks[i].name);
		if (strchr(r->checks[i].detail, '%'))
			miss(c, "no '%%' in check %s, got \"%s\"", r->checks[i].name,
			     r->checks[i].detail);
	}
	if (!r->verdict[0] || strchr(r->verdict, '%'))
		miss(c, "a verdict without '%%', got \"%s\"", r->verdict);
	if (r->err && r->nremedies == 0)
		miss(c, "a remedy for %s, got none", diag_errno_name(r->err));
	for (int i = 0; i < r->nremedies; i++)
		if (!r->remedies[i][0] || strchr(r->remedies[i], '%'))
			miss(c, "remedy %d non-empty, without '%%', got \"%s\"", i,
			     r->remedies[i]);
	if (r->err && !strstr(r->verdict, "would fail") && !strstr(r->verdict, "headroom"))
		miss(c, "a verdict that says it fails, got \"%s\"", r->verdict);
}

static void run_eval(const struct eval_case *t)
{
	static struct diag_facts f;
	static struct diag_report r;
	struct ctx c = { .name = t->name };

	base_facts(&f);
	if (t->mode == MODE_BPF)
		set_kernel(&f, 5, 10);	/* where RLIMIT_MEMLOCK still applies to bpf */
	f.lim.soft = t->soft;
	f.lim.hard = t->hard;
	set_held(&f, t->mode, t->held);
	set_caps(&f, t->caps);
	if (t->setup)
		t->setup(&f);
	diag_evaluate(&f, t->mode, t->has_size, t->size, false, &r);

	expect_errno(&c, "err", t->err, r.err);
	expect_bool(&c, "unknown", t->flags & X_UNKNOWN, r.unknown);
	expect_bool(&c, "oom", t->flags & X_OOM, r.oom);
	expect_bool(&c, "limit_failed", t->flags & X_LIMIT, r.limit_failed);
	if (t->flags & X_NOREMEDY && r.nremedies)
		miss(&c, "no remedy, got \"%s\"", r.remedies[0]);
	if (t->flags & X_HEADROOM)
		expect_u64(&c, "headroom", t->headroom, r.headroom);
	if (t->flags & X_CHARGE)
		expect_u64(&c, "charge", t->charge, r.charge);
	if (t->flags & X_UNLIMITED)
		expect_bool(&c, "headroom_unlimited", true, r.headroom_unlimited);
	if (t->first)
		expect_has(&c, "the first remedy", r.nremedies ? r.remedies[0] : "", t->first);
	if (t->some && !any_remedy(&r, t->some))
		miss(&c, "a remedy with \"%s\", got %d remedies, the first \"%s\"", t->some,
		     r.nremedies, r.nremedies ? r.remedies[0] : "");
	for (const char *no = t->none; no; no = no == t->none ? t->none2 : NULL)
		for (int i = 0; i < r.nremedies; i++)
			if (strstr(r.remedies[i], no))
				miss(&c, "no remedy with \"%s\", got \"%s\"", no, r.remedies[i]);
	if (t->verdict)
		expect_has(&c, "the verdict", r.verdict, t->verdict);
	if (t->check) {
		const struct diag_check *k = find_check(&r, t->check);

		if (!k)
			miss(&c, "a check %s, got none", t->check);
		else
			expect_has(&c, t->check, k->detail, t->detail);
	}
	report_sane(&c, &r);
	finish(&c, t->bug);
}

/* Every mode but perf (whose free allowance has its own cases) through
 * the same scenarios; what differs is the errno. */
static const struct {
	enum diag_mode mode;
	int over, zero;		/* -errno over the limit, and at a soft limit of 0 */
	bool cap_lifts;
} generic_modes[] = {
	{ MODE_MLOCK, -ENOMEM, -EPERM, true },
	{ MODE_ONFAULT, -ENOMEM, -EPERM, true },
	{ MODE_MLOCKALL, -ENOMEM, -EPERM, true },
	{ MODE_MMAP_LOCKED, -EAGAIN, -EPERM, true },
	{ MODE_SHM, -ENOMEM, -EPERM, true },
	{ MODE_IO_URING, -ENOMEM, -ENOMEM, true },
	{ MODE_RDMA, -ENOMEM, -EPERM, true },	/* can_do_mlock() first */
	{ MODE_VFIO, -ENOMEM, -ENOMEM, true },
	{ MODE_BPF, -EPERM, -EPERM, false },	/* kernel 5.10 */
};

enum want { WANT_OK, WANT_OVER, WANT_ZERO, WANT_CAP_OVER, WANT_CAP_ZERO };

static const struct scenario {
	const char *name;
	uint64_t soft, hard, held;
	unsigned caps;
	bool has_size;
	uint64_t size;
	enum want want;
	unsigned flags;		/* X_HEADROOM, X_UNLIMITED */
	uint64_t headroom;
	const char *some, *none;
	bool setcap;		/* "setcap" offered, where the capability helps */
} scenarios[] = {
	{ "under", 8 * M, 8 * M, 1 * M, 0, true, 4 * M, .want = WANT_OK },
	{ "at-limit", 8 * M, 8 * M, 4 * M, 0, true, 4 * M, .want = WANT_OK },
	{ "over-by-a-page", 8 * M, 8 * M, 4 * M, 0, true, 4 * M + PAGE, .want = WANT_OVER },
	{ "over-by-a-byte", 8 * M, 8 * M, 4 * M, 0, true, 4 * M + 1, .want = WANT_OVER },
	{ "soft-0", 0, 0, 0, 0, true, PAGE, .want = WANT_ZERO },
	{ "cap", 8 * M, 8 * M, 4 * M, C_EFF, true, 64 * M, .want = WANT_CAP_OVER },
	{ "cap-soft-0", 0, 0, 0, C_EFF, true, PAGE, .want = WANT_CAP_ZERO },
	{ "cap-in-userns", 8 * M, 8 * M, 4 * M, C_EFF | C_USERNS, true, 64 * M, .want = WANT_OVER,
	  .some = "user namespace", .none = "setcap" },
	{ "unlimited", UNL, UNL, 4 * M, 0, true, 64 * M, .want = WANT_OK },
	{ "headroom", 8 * M, 8 * M, 6 * M, 0, false, 0, .want = WANT_OK, .flags = X_HEADROOM,
	  .headroom = 2 * M },
	{ "headroom-unaligned", 8 * M + 100, 8 * M + 100, 6 * M, 0, false, 0, .want = WANT_OK,
	  .flags = X_HEADROOM, .headroom = 2 * M },
	{ "headroom-none", 8 * M, 8 * M, 8 * M, 0, false, 0, .want = WANT_OVER, .flags = X_HEADROOM,
	  .headroom = 0 },
	{ "headroom-unlimited", UNL, UNL, 8 * M, 0, false, 0, .want = WANT_OK,
	  .flags = X_UNLIMITED },
	{ "raise-to-hard", 8 * M, 64 * M, 0, 0, true, 16 * M, .want = WANT_OVER,
	  .some = "soft limit to the hard one" },
	{ "hard-too-low", 8 * M, 12 * M, 0, 0, true, 16 * M, .want = WANT_OVER,
	  .none = "soft limit to the hard one" },
	{ "setcap", 8 * M, 8 * M, 0, 0, true, 16 * M, .want = WANT_OVER, .setcap = true },
	{ "no-bounding", 8 * M, 8 * M, 0, C_NOBND, true, 16 * M, .want = WANT_OVER,
	  .none = "setcap" },
};

static void run_generic(void)
{
	for (size_t m = 0; m < sizeof(generic_modes) / sizeof(generic_modes[0]); m++)
		for (size_t s = 0; s < sizeof(scenarios) / sizeof(scenarios[0]); s++) {
			const struct scenario *sc = &scenarios[s];
			char name[96];
			struct eval_case t = {
				.name = name, .mode = generic_modes[m].mode,
				.soft = sc->soft, .hard = sc->hard, .held = sc->held,
				.caps = sc->caps, .has_size = sc->has_size, .size = sc->size,
				.flags = sc->flags, .headroom = sc->headroom,
				.some = sc->some, .none = sc->none,
			};
			bool lifts = generic_modes[m].cap_lifts;

			snprintf(name, sizeof(name), "%s/%s", diag_mode_name(t.mode), sc->name);
			switch (sc->want) {
			case WANT_OK:
				t.err = 0;
				break;
			case WANT_OVER:
				t.err = generic_modes[m].over;
				break;
			case WANT_ZERO:
				t.err = generic_modes[m].zero;
				break;
			case WANT_CAP_OVER:
				t.err = lifts ? 0 : generic_modes[m].over;
				break;
			case WANT_CAP_ZERO:
				t.err = lifts ? 0 : generic_modes[m].zero;
				break;
			}
			if (t.err)
				t.flags |= X_LIMIT;
			if (!t.err && sc->has_size)
				t.flags |= X_NOREMEDY;
			if (sc->setcap && lifts)
				t.some = "setcap cap_ipc_lock+ep";
			else if (sc->setcap)
				t.none = "setcap";
			run_eval(&t);
		}
}

/* ---- the setups of the cases below ---- */

static void big_vmlck(struct diag_facts *f) { f->st.vmlck = 100 * M; f->st.vmsize = 4 * M; }
static void big_vmsize(struct diag_facts *f) { f->st.vmsize = 10 * M; }
static void huge_vmsize(struct diag_facts *f) { f->st.vmsize = 100 * G; }
static void maps_at_max(struct diag_facts *f) { f->map_count = f->max_map_count = 65530; }
static void maps_below_max(struct diag_facts *f) { f->max_map_count = 65530; f->map_count = 65529; }
static void maps_over_max(struct diag_facts *f) { f->max_map_count = 65530; f->map_count = 65531; }
static void maps_unread(struct diag_facts *f) { f->have_maps = false; f->maps_unread = "maps"; }
static void maps_sysctl_unread(struct diag_facts *f)
{
	f->have_maps = false;
	f->maps_unread = "sys/vm/max_map_count";
}
static void shm_vs_vmlck(struct diag_facts *f) { f->st.vmlck = 100 * M; }
static void uring_614(struct diag_facts *f)
{
	set_kernel(f, 6, 14);
	f->user.uring_bufs = 512 * K;
	f->user.uring_ring_bytes = 512 * K;
	f->user.uring_rings = 1;
	f->user.uring_target_rings = 1;
}
static void uring_613(struct diag_facts *f) { uring_614(f); set_kernel(f, 6, 13); }
static void uring_rings_only(struct diag_facts *f)
{
	set_kernel(f, 6, 14);
	f->user.uring_ring_bytes = 1 * M;
	f->user.uring_rings = 1;
	f->user.uring_target_rings = 1;
}
static void uring_first_ring(struct diag_facts *f)
{
	uring_614(f);
	f->user.uring_target_rings = 0;
	f->user.uring_ring_bytes = 0;
}
static void uring_perf_shares(struct diag_facts *f)
{
	f->user.uring_bufs = 512 * K;
	f->user.perf_locked = 512 * K;
}
static void perf_one_page_used(struct diag_facts *f) { f->user.uring_bufs = 2 * PAGE; }
static void perf_other_rings(struct diag_facts *f) { f->user.perf_locked = 1032 * K; }
static void paranoid_off(struct diag_facts *f) { f->perf_paranoid = -1; }
static void perf_uring_used(struct diag_facts *f) { f->user.uring_bufs = 1032 * K; }
static void perf_uring_pinned(struct diag_facts *f) { perf_uring_used(f); f->st.vmpin = 600 * K; }
static void perf_maps_over(struct diag_facts *f) { maps_over_max(f); }
static void bpf_511(struct diag_facts *f) { set_kernel(f, 5, 11); }
static void bpf_6(struct diag_facts *f) { set_kernel(f, 6, 1); }
static void bpf_unknown_kernel(struct diag_facts *f)
{
	f->kmajor = f->kminor = 0;
	f->kernel[0] = '\0';
}

static void cg_tight(struct diag_facts *f)
{
	f->mem.cg = (struct memcg){ .path = "/system.slice/x.service", .limited = true,
				    .limit = 100 * M, .usage = 90 * M };
}
static void cg_reclaimable(struct diag_facts *f)
{
	cg_tight(f);
	f->mem.cg.reclaimable = 50 * M;
}
static void cg_v1(struct diag_facts *f) { cg_tight(f); f->mem.cg.v1 = true; }
static void cg_unread(struct diag_facts *f)
{
	f->mem.cg_err = -EACCES;
	snprintf(f->mem.cg_bad, sizeof(f->mem.cg_bad), "/sys/fs/cgroup/x/memory.max");
}
static void ram_only(struct diag_facts *f) { (void)f; }
static void ram_swap(struct diag_facts *f) { f->mem.mi.swap_total = 8 * G; }
static void overcommit_1(struct diag_facts *f) { f->overcommit = 1; }
static void overcommit_2(struct diag_facts *f)
{
	f->overcommit = 2;
	f->mem.mi.commit_limit = 10 * G;
	f->mem.mi.committed = 8 * G;
	f->mem.mi.have |= MI_COMMIT | MI_COMMITTED;
}
static void low_available(struct diag_facts *f) { f->mem.mi.available = 1 * G; }
static void meminfo_unread(struct diag_facts *f) { f->mem.mi_err = -ENOENT; f->mem.mi.have = 0; }
static void shm_unread(struct diag_facts *f) { f->user.have_shm = false; }
static void shm_unread_other_ns(struct diag_facts *f)
{
	f->user.have_shm = false;
	f->user.shm_other_ns = true;
}
static void uring_hidden(struct diag_facts *f) { f->user.uring_hidden = 3; }
static void uring_unread(struct diag_facts *f) { f->user.have_uring = false; }
static void shm_stale(struct diag_facts *f)
{
	f->user.shm_locked = 6 * M;
	f->user.shm_segs = 2;
	f->user.shm_stale = 1;
	f->user.shm_stale_id = 77;
}
static void shm_stale_other_ns(struct diag_facts *f) { shm_stale(f); f->user.shm_other_ns = true; }
static void shm_held_not_stale(struct diag_facts *f)
{
	f->user.shm_locked = 6 * M;
	f->user.shm_segs = 2;
	f->user.shm_stale_id = 77;
}
static void self_process(struct diag_facts *f) { f->self = true; }

/* The ancestry, for the remedies: link 0 is the target. */
static void chain(struct diag_facts *f, enum diag_origin o, int set_at, int n)
{
	static const char *const names[] = { "app", "bash", "sshd", "systemd" };
	struct diag_provenance *p = &f->prov;

	p->origin = o;
	p->set_at = set_at;
	p->n = n;
	p->end = CHAIN_TOP;
	for (int i = 0; i < n; i++) {
		p->link[i].pid = i == n - 1 ? 1 : 4242 - i;
		snprintf(p->link[i].name, sizeof(p->link[i].name), "%s",
			 i == n - 1 ? "systemd" : names[i % 3]);
		p->link[i].lim = f->lim;
		if (i > set_at)
			p->link[i].lim = (struct memlock_limit){ .soft = 64 * M, .hard = UNL };
		p->link[i].have_lim = true;
		p->link[i].changed = i == set_at;
	}
}

static void o_systemd_dropin(struct diag_facts *f)
{
	chain(f, ORIGIN_SYSTEMD, 0, 2);
	snprintf(f->prov.unit, sizeof(f->prov.unit), "foo.service");
	snprintf(f->prov.config, sizeof(f->prov.config),
		 "/etc/systemd/system/foo.service.d/10-x.conf");
	f->prov.config_line = 3;
}
static void o_systemd_bare(struct diag_facts *f)
{
	chain(f, ORIGIN_SYSTEMD, -1, 2);
	snprintf(f->prov.unit, sizeof(f->prov.unit), "foo.service");
}
static void o_systemd_default(struct diag_facts *f)
{
	o_systemd_bare(f);
	snprintf(f->prov.config, sizeof(f->prov.config), "/etc/systemd/system.conf");
	f->prov.config_line = 4;
}
static void o_systemd_user(struct diag_facts *f)
{
	chain(f, ORIGIN_SYSTEMD_USER, 0, 3);
	snprintf(f->prov.unit, sizeof(f->prov.unit), "app.service");
}
static void o_container(struct diag_facts *f, const char *rt)
{
	chain(f, ORIGIN_CONTAINER, 0, 3);
	snprintf(f->prov.runtime, sizeof(f->prov.runtime), "%s", rt);
}
static void o_containerd(struct diag_facts *f) { o_container(f, "containerd-shim"); }
static void o_docker(struct diag_facts *f) { o_container(f, "docker"); }
static void o_conmon(struct diag_facts *f) { o_container(f, "conmon"); }
static void o_kubernetes(struct diag_facts *f) { o_container(f, "kubernetes"); }
static void o_runc(struct diag_facts *f) { o_container(f, "runc"); }
static void o_session(struct diag_facts *f)
{
	chain(f, ORIGIN_SESSION, 0, 3);
	snprintf(f->prov.config, sizeof(f->prov.config), "/etc/security/limits.d/90-x.conf");
	f->prov.config_line = 2;
}
static void o_session_bare(struct diag_facts *f) { chain(f, ORIGIN_SESSION, 0, 3); }
static void o_shell(struct diag_facts *f)
{
	chain(f, ORIGIN_SHELL, 1, 4);
	f->prov.link[1].lim.hard = UNL;
}
static void o_shell_hard(struct diag_facts *f) { chain(f, ORIGIN_SHELL, 1, 4); }
static void o_self_shell(struct diag_facts *f) { o_shell(f); f->self = true; }
static void o_wrapper(struct diag_facts *f) { chain(f, ORIGIN_WRAPPER, 0, 3); }
static void o_inherited(struct diag_facts *f) { chain(f, ORIGIN_INHERITED, -1, 3); }

static const struct eval_case eval_cases[] = {
	/* mlockall: VmSize, not VmLck; a mapping count it never splits */
	{ "mlockall/charges-vmsize-not-vmlck", MODE_MLOCKALL, 8 * M, 8 * M, 0, 0, big_vmlck, true,
	  1 * M, .err = 0 },
	{ "mlockall/vmsize-over-no-size", MODE_MLOCKALL, 8 * M, 8 * M, 0, 0, big_vmsize, false, 0,
	  .err = -ENOMEM, .flags = X_LIMIT, .some = "lock only the buffers" },
	{ "mlock/ignores-vmsize", MODE_MLOCK, 8 * M, 8 * M, 0, 0, huge_vmsize, true, 4 * M,
	  .err = 0 },
	{ "mlockall/ignores-map-count", MODE_MLOCKALL, 8 * M, 8 * M, 1 * M, 0, maps_over_max, true,
	  1 * M, .err = 0 },
	/* vm.max_map_count */
	{ "mlock/maps-at-max-warns", MODE_MLOCK, 8 * M, 8 * M, 0, 0, maps_at_max, true, 1 * M,
	  .err = 0, .check = "map_count", .detail = "a split needs one more" },
	{ "mlock/maps-over-max", MODE_MLOCK, 8 * M, 8 * M, 0, 0, maps_over_max, true, 1 * M,
	  .err = -ENOMEM, .first = "vm.max_map_count=131060" },
	{ "onfault/maps-over-max", MODE_ONFAULT, 8 * M, 8 * M, 0, 0, maps_over_max, true, 1 * M,
	  .err = -ENOMEM },
	{ "mlock/maps-one-below-max-warns", MODE_MLOCK, 8 * M, 8 * M, 0, 0, maps_below_max, true,
	  1 * M, .err = 0, .check = "map_count", .detail = "two splits" },
	{ "mmap-locked/maps-at-max", MODE_MMAP_LOCKED, 8 * M, 8 * M, 0, 0, maps_at_max, true, 1 * M,
	  .err = 0 },
	{ "mmap-locked/maps-over-max", MODE_MMAP_LOCKED, 8 * M, 8 * M, 0, 0, maps_over_max, true,
	  1 * M, .err = -ENOMEM },
	{ "mlock/maps-unreadable", MODE_MLOCK, 8 * M, 8 * M, 0, 0, maps_unread, true, 1 * M,
	  .err = 0, .check = "map_count", .detail = "could not read" },
	{ "mlock/max-map-count-unreadable", MODE_MLOCK, 8 * M, 8 * M, 0, 0, maps_sysctl_unread,
	  true, 1 * M, .err = 0, .check = "map_count", .detail = "sys/vm/max_map_count" },
	/* do_mmap() refuses a mapping beyond vm.max_map_count before it
	 * looks at MAP_LOCKED or the limit; perf's ring is an mmap() too. */
	{ "mmap-locked/maps-over-max-and-over-limit", MODE_MMAP_LOCKED, 8 * M, 8 * M, 8 * M, 0,
	  maps_over_max, true, 1 * M, .err = -ENOMEM, .flags = 0},
	{ "perf/maps-over-max-and-over-limit", MODE_PERF, 1 * M, 1 * M, 0, 0, perf_maps_over, true,
	  4 * M, .err = -ENOMEM, .flags = 0},

	/* SHM_LOCK: the user's locked segments, not VmLck */
	{ "shm/charges-user-shm-not-vmlck", MODE_SHM, 8 * M, 8 * M, 0, 0, shm_vs_vmlck, true, 4 * M,
	  .err = 0 },
	{ "shm/user-shm-over", MODE_SHM, 8 * M, 8 * M, 6 * M, 0, NULL, true, 4 * M, .err = -ENOMEM,
	  .flags = X_LIMIT },
	{ "shm/soft-0-no-cap", MODE_SHM, 0, 0, 0, 0, NULL, true, PAGE, .err = -EPERM,
	  .flags = X_LIMIT },
	{ "shm/soft-8M-ipcns-cap-over", MODE_SHM, 8 * M, 8 * M, 6 * M, C_EFF | C_USERNS | C_IPCNS,
	  NULL, true, 4 * M, .err = -ENOMEM, .flags = X_LIMIT, .none = "setcap" },
	{ "shm/soft-0-ipcns-cap", MODE_SHM, 0, 0, 0, C_EFF | C_USERNS | C_IPCNS, NULL, true, PAGE,
	  .err = -ENOMEM, .flags = X_LIMIT },
	{ "shm/ipcns-cap-noted", MODE_SHM, 8 * M, 8 * M, 0, C_EFF | C_USERNS | C_IPCNS, NULL, true,
	  1 * M, .err = 0, .check = "cap_ipc_lock", .detail = "shmctl's EPERM check" },

	/* io_uring: buffers; since 6.14 the rings, and a first ring of its own */
	{ "io_uring/6.14-counts-rings", MODE_IO_URING, 1 * M, 1 * M, 0, 0, uring_614, true, PAGE,
	  .err = -ENOMEM, .flags = X_LIMIT | X_CHARGE, .charge = 1 * M + PAGE,
	  .some = "already hold 512K" },
	{ "io_uring/6.13-buffers-only", MODE_IO_URING, 1 * M, 1 * M, 0, 0, uring_613, true, PAGE,
	  .err = 0, .flags = X_CHARGE, .charge = 512 * K + PAGE },
	{ "io_uring/6.14-rings-only", MODE_IO_URING, 1 * M, 1 * M, 0, 0, uring_rings_only, true,
	  PAGE, .err = -ENOMEM, .flags = X_LIMIT, .none = "already hold" },
	/* 512K of buffers + the 8K ring it must set up first + SIZE */
	{ "io_uring/6.14-first-ring-at-limit", MODE_IO_URING, 2 * M, 2 * M, 0, 0, uring_first_ring,
	  true, 1528 * K, .err = 0, .flags = X_CHARGE, .charge = 2 * M },
	{ "io_uring/6.14-first-ring-a-page-over", MODE_IO_URING, 2 * M, 2 * M, 0, 0,
	  uring_first_ring, true, 1532 * K, .err = -ENOMEM, .flags = X_LIMIT | X_CHARGE,
	  .charge = 2 * M + PAGE },
	{ "io_uring/perf-rings-share-locked-vm", MODE_IO_URING, 1 * M, 1 * M, 0, 0,
	  uring_perf_shares, true, PAGE, .err = -ENOMEM, .flags = X_LIMIT },
	{ "io_uring/hidden-descriptors", MODE_IO_URING, 8 * M, 8 * M, 0, 0, uring_hidden, true,
	  1 * M, .err = 0, .flags = X_UNKNOWN, .some = "io_uring descriptor",
	  .verdict = "could not tell: io_uring_register(IORING_REGISTER_BUFFERS) is charged "
		 "with the io_uring memory" },
	{ "io_uring/unlistable", MODE_IO_URING, 8 * M, 8 * M, 0, 0, uring_unread, true, 1 * M,
	  .err = 0, .flags = X_UNKNOWN, .verdict = "could not tell" },
	{ "io_uring/unlistable-says-what", MODE_IO_URING, 8 * M, 8 * M, 0, 0, uring_unread, true,
	  1 * M, .err = 0, .flags = X_UNKNOWN, .verdict = "io_uring"},
	{ "mlock/uring-unlistable-irrelevant", MODE_MLOCK, 8 * M, 8 * M, 0, 0, uring_unread, true,
	  1 * M, .err = 0 },

	/* perf: 516K x 2 CPUs = 1032K (258 pages) free; the ring is 2^n + 1 pages */
	{ "perf/ring-in-allowance-soft-0", MODE_PERF, 0, 0, 0, 0, NULL, true, 512 * K, .err = 0,
	  .flags = X_NOREMEDY | X_CHARGE, .charge = 0 },
	{ "perf/ring-of-257-pages-fits-soft-0", MODE_PERF, 0, 0, 0, 0, NULL, true, 1 * M, .err = 0,
	  .flags = X_CHARGE, .charge = 0 },
	{ "perf/ring-a-page-beyond-soft-0", MODE_PERF, 0, 0, 0, 0, perf_one_page_used, true, 1 * M,
	  .err = -EPERM, .flags = X_LIMIT | X_CHARGE, .charge = PAGE },
	{ "perf/1M-plus-a-byte-is-a-2M-ring", MODE_PERF, 0, 0, 0, 0, NULL, true, 1 * M + 1,
	  .err = -EPERM, .flags = X_LIMIT | X_CHARGE, .charge = (512 + 1 - 258) * PAGE },
	{ "perf/allowance-used-by-other-rings", MODE_PERF, 0, 0, 0, 0, perf_other_rings, true,
	  4 * K, .err = -EPERM, .flags = X_LIMIT | X_CHARGE, .charge = 2 * PAGE },
	{ "perf/4M-ring-soft-1M", MODE_PERF, 1 * M, 1 * M, 0, 0, NULL, true, 4 * M, .err = -EPERM,
	  .flags = X_LIMIT | X_CHARGE, .charge = (1024 + 1 - 258) * PAGE,
	  .some = "perf_event_mlock_kb (now 516K" },
	{ "perf/2M-ring-soft-1M", MODE_PERF, 1 * M, 1 * M, 0, 0, NULL, true, 2 * M, .err = 0,
	  .flags = X_CHARGE, .charge = (512 + 1 - 258) * PAGE },
	{ "perf/3M-rounds-to-4M", MODE_PERF, 1 * M, 1 * M, 0, 0, NULL, true, 3 * M, .err = -EPERM,
	  .flags = X_LIMIT | X_CHARGE, .charge = (1024 + 1 - 258) * PAGE },
	{ "perf/soft-0-4M", MODE_PERF, 0, 0, 0, 0, NULL, true, 4 * M, .err = -EPERM,
	  .flags = X_LIMIT },
	{ "perf/paranoid-minus-1", MODE_PERF, 1 * M, 1 * M, 0, 0, paranoid_off, true, 4 * M,
	  .err = 0, .check = "limit", .detail = "perf_event_paranoid is -1" },
	{ "perf/cap", MODE_PERF, 1 * M, 1 * M, 0, C_EFF, NULL, true, 4 * M, .err = 0 },
	{ "perf/cap-in-userns", MODE_PERF, 1 * M, 1 * M, 0, C_EFF | C_USERNS, NULL, true, 4 * M,
	  .err = -EPERM, .flags = X_LIMIT, .none = "setcap" },
	{ "perf/setcap-mentions-paranoid", MODE_PERF, 1 * M, 1 * M, 0, 0, NULL, true, 4 * M,
	  .err = -EPERM, .flags = X_LIMIT, .some = "perf_event_paranoid=-1" },
	{ "perf/vmpin-held", MODE_PERF, 1 * M, 1 * M, 800 * K, 0, NULL, true, 2 * M, .err = -EPERM,
	  .flags = X_LIMIT },
	{ "perf/allowance-used-by-io_uring", MODE_PERF, 1 * M, 1 * M, 0, 0, perf_uring_used, true,
	  512 * K, .err = 0, .flags = X_CHARGE, .charge = 129 * PAGE },
	{ "perf/allowance-used-and-vmpin", MODE_PERF, 1 * M, 1 * M, 0, 0, perf_uring_pinned, true,
	  512 * K, .err = -EPERM, .flags = X_LIMIT },
	{ "perf/unlimited", MODE_PERF, UNL, UNL, 0, 0, NULL, true, 64 * M, .err = 0 },
	{ "perf/no-size-soft-0", MODE_PERF, 0, 0, 0, 0, NULL, false, 0, .err = 0},

	/* bpf: before 5.11 the limit, with no exemption; since, the cgroup */
	{ "bpf/5.11-limit-does-not-apply", MODE_BPF, 0, 0, 64 * M, 0, bpf_511, true, 1 * G,
	  .err = 0, .flags = X_UNLIMITED },
	{ "bpf/6.1-no-size", MODE_BPF, 8 * M, 8 * M, 64 * M, 0, bpf_6, false, 0, .err = 0,
	  .flags = X_UNLIMITED, .verdict = "memory cgroup charges it" },
	{ "bpf/unknown-kernel-taken-as-new", MODE_BPF, 0, 0, 0, 0, bpf_unknown_kernel, true, 1 * M,
	  .err = 0 },
	{ "bpf/5.10-cap-does-not-help", MODE_BPF, 8 * M, 64 * M, 8 * M, C_EFF, NULL, true, 1 * M,
	  .err = -EPERM, .flags = X_LIMIT, .some = "even for root", .none = "setcap",
	  .none2 = "CAP_IPC_LOCK is already" },
	{ "bpf/5.10-cgroup-not-checked", MODE_BPF, 8 * M, 8 * M, 0, 0, cg_tight, true, 4 * M,
	  .err = 0 },

	/* the memory cgroup */
	{ "mlock/cgroup-over", MODE_MLOCK, UNL, UNL, 0, 0, cg_tight, true, 20 * M, .err = -EAGAIN,
	  .flags = X_OOM, .first = "memory.max", .verdict = "OOM killer" },
	{ "mlock/cgroup-v1-over", MODE_MLOCK, UNL, UNL, 0, 0, cg_v1, true, 20 * M, .err = -EAGAIN,
	  .flags = X_OOM, .first = "memory.limit_in_bytes" },
	{ "mlock/cgroup-reclaimable", MODE_MLOCK, UNL, UNL, 0, 0, cg_reclaimable, true, 20 * M,
	  .err = 0 },
	{ "mlock/cgroup-exactly-room", MODE_MLOCK, UNL, UNL, 0, 0, cg_tight, true, 10 * M,
	  .err = 0 },
	{ "onfault/cgroup-not-faulted", MODE_ONFAULT, UNL, UNL, 0, 0, cg_tight, true, 20 * M,
	  .err = 0 },
	{ "rdma/cgroup-over", MODE_RDMA, UNL, UNL, 0, 0, cg_tight, true, 20 * M, .err = -EAGAIN,
	  .flags = X_OOM },
	{ "mlock/limit-before-cgroup", MODE_MLOCK, 8 * M, 8 * M, 0, 0, cg_tight, true, 20 * M,
	  .err = -ENOMEM, .flags = X_LIMIT },
	{ "mlock/cgroup-unreadable", MODE_MLOCK, 8 * M, 8 * M, 0, 0, cg_unread, true, 1 * M,
	  .err = 0, .flags = X_UNKNOWN, .first = "memory.max" },

	/* RAM, swap and overcommit */
	{ "mlock/overcommit-0-over-ram-and-swap", MODE_MLOCK, UNL, UNL, 0, 0, ram_only, true,
	  20 * G, .err = -ENOMEM, .first = "lock less than the machine has" },
	{ "mlock/overcommit-0-within-swap", MODE_MLOCK, UNL, UNL, 0, 0, ram_swap, true, 20 * G,
	  .err = -EAGAIN, .first = "free memory first" },
	{ "mlock/overcommit-1-over-ram", MODE_MLOCK, UNL, UNL, 0, 0, overcommit_1, true, 20 * G,
	  .err = -EAGAIN },
	{ "mlock/overcommit-2-over-commit", MODE_MLOCK, UNL, UNL, 0, 0, overcommit_2, true, 4 * G,
	  .err = -ENOMEM },
	{ "mlock/overcommit-2-within-commit", MODE_MLOCK, UNL, UNL, 0, 0, overcommit_2, true, 1 * G,
	  .err = 0 },
	{ "onfault/over-ram-and-swap-still-mapped", MODE_ONFAULT, UNL, UNL, 0, 0, ram_only, true,
	  20 * G, .err = -ENOMEM },
	{ "onfault/over-ram-within-swap-not-faulted", MODE_ONFAULT, UNL, UNL, 0, 0, ram_swap, true,
	  20 * G, .err = 0 },
	{ "perf/over-ram-not-mapped-by-the-caller", MODE_PERF, UNL, UNL, 0, 0, ram_only, true,
	  32 * G, .err = 0 },
	{ "mlock/over-available-warns", MODE_MLOCK, UNL, UNL, 0, 0, low_available, true, 2 * G,
	  .err = 0, .check = "memory", .detail = "more than MemAvailable" },
	{ "mlock/meminfo-unreadable", MODE_MLOCK, 8 * M, 8 * M, 0, 0, meminfo_unread, true, 4 * M,
	  .err = 0, .flags = X_UNKNOWN, .verdict = "could not tell", .first = "meminfo" },
	{ "mlock/meminfo-unreadable-limit-fails", MODE_MLOCK, 8 * M, 8 * M, 0, 0, meminfo_unread,
	  true, 16 * M, .err = -ENOMEM, .flags = X_LIMIT },
	{ "mlock/meminfo-unreadable-no-size", MODE_MLOCK, 8 * M, 8 * M, 0, 0, meminfo_unread, false,
	  0, .err = 0, .flags = X_UNKNOWN },

	/* SHM_LOCK's counters unreadable */
	{ "shm/shm-unreadable", MODE_SHM, 8 * M, 8 * M, 0, 0, shm_unread, true, 1 * M, .err = 0,
	  .flags = X_UNKNOWN, .verdict = "sysvipc/shm", .first = "sysvipc/shm" },
	{ "shm/shm-unreadable-other-ns", MODE_SHM, 8 * M, 8 * M, 0, 0, shm_unread_other_ns, true,
	  1 * M, .err = 0, .flags = X_UNKNOWN, .check = "shm_locked", .detail = "CAP_SYS_ADMIN" },
	{ "mlock/shm-unreadable-irrelevant", MODE_MLOCK, 8 * M, 8 * M, 0, 0, shm_unread, true,
	  1 * M, .err = 0 },
	{ "shm/shm-unreadable-but-cap", MODE_SHM, 8 * M, 8 * M, 0, C_EFF, shm_unread, true, 1 * M,
	  .err = 0},

	/* remedies of the mode */
	{ "shm/ipcrm-for-stale", MODE_SHM, 8 * M, 8 * M, 0, 0, shm_stale, true, 4 * M,
	  .err = -ENOMEM, .flags = X_LIMIT, .some = "'ipcrm -m 77'" },
	{ "shm/ipcrm-in-its-namespace", MODE_SHM, 8 * M, 8 * M, 0, 0, shm_stale_other_ns, true,
	  4 * M, .err = -ENOMEM, .flags = X_LIMIT, .some = "nsenter -t 4242 --ipc ipcrm -m 77" },
	{ "shm/no-ipcrm-without-stale", MODE_SHM, 8 * M, 8 * M, 0, 0, shm_held_not_stale, true,
	  4 * M, .err = -ENOMEM, .flags = X_LIMIT, .none = "ipcrm" },
	{ "mlock/no-ipcrm-in-mlock", MODE_MLOCK, 8 * M, 8 * M, 8 * M, 0, shm_stale, true, 4 * M,
	  .err = -ENOMEM, .flags = X_LIMIT, .none = "ipcrm" },
	{ "mlock/permitted-not-effective", MODE_MLOCK, 8 * M, 8 * M, 0, C_PRM, NULL, true, 16 * M,
	  .err = -ENOMEM, .flags = X_LIMIT, .some = "already permitted", .none = "setcap" },
	{ "mlock/self-raise", MODE_MLOCK, 8 * M, 64 * M, 0, 0, self_process, true, 16 * M,
	  .err = -ENOMEM, .flags = X_LIMIT, .some = "'memlock limit --raise' in this shell" },
	{ "mlock/hard-limit-leaves-room", MODE_MLOCK, 8 * M, 64 * M, 0, 0, NULL, true, 16 * M,
	  .err = -ENOMEM, .flags = X_LIMIT, .check = "hard_limit", .detail = "leaves room" },
	{ "mlock/hard-limit-too-low", MODE_MLOCK, 8 * M, 12 * M, 0, 0, NULL, true, 16 * M,
	  .err = -ENOMEM, .flags = X_LIMIT, .check = "hard_limit", .detail = "CAP_SYS_RESOURCE",
	  .some = "as root with CAP_SYS_RESOURCE" },

	/* a SIZE of 0: can_do_mlock() still refuses a limit of 0 */
	{ "mlock/size-0-within", MODE_MLOCK, 8 * M, 8 * M, 0, 0, NULL, true, 0, .err = 0,
	  .flags = X_NOREMEDY },
	{ "mlock/size-0-soft-0", MODE_MLOCK, 0, 0, 0, 0, NULL, true, 0, .err = -EPERM,
	  .flags = X_LIMIT, .none = "--set 0K", .none2 = "memlock 0'"},
	{ "mlock/size-0-soft-0-docker", MODE_MLOCK, 0, 0, 0, 0, o_docker, true, 0,
	  .err = -EPERM, .flags = X_LIMIT, .none = "memlock=0:0", .none2 = "--set 0K"},

	/* the first remedy acts where the limit was set */
	{ "origin/systemd-dropin", MODE_MLOCK, 8 * M, 8 * M, 0, 0, o_systemd_dropin, true, 16 * M,
	  .err = -ENOMEM, .flags = X_LIMIT,
	  .first = "change 'LimitMEMLOCK=' in /etc/systemd/system/foo.service.d/10-x.conf "
		 "(line 3) to 16M" },
	{ "origin/systemd-no-config", MODE_MLOCK, 8 * M, 8 * M, 0, 0, o_systemd_bare, true, 16 * M,
	  .err = -ENOMEM, .flags = X_LIMIT,
	  .first = "add a drop-in /etc/systemd/system/foo.service.d/memlock.conf" },
	{ "origin/systemd-manager-default", MODE_MLOCK, 8 * M, 8 * M, 0, 0, o_systemd_default, true,
	  16 * M, .err = -ENOMEM, .flags = X_LIMIT,
	  .first = "manager's default from /etc/systemd/system.conf: add a drop-in" },
	{ "origin/systemd-origin-check", MODE_MLOCK, 8 * M, 8 * M, 0, 0, o_systemd_default, true,
	  1 * M, .err = 0, .check = "origin",
	  .detail = "systemd: unchanged from pid 1 (systemd), /etc/systemd/system.conf" },
	{ "origin/systemd-user", MODE_MLOCK, 8 * M, 8 * M, 0, 0, o_systemd_user, true, 16 * M,
	  .err = -ENOMEM, .flags = X_LIMIT,
	  .first = "~/.config/systemd/user/app.service.d/memlock.conf",
	  .some = "LimitMEMLOCK= of user@65534.service first" },
	{ "origin/containerd", MODE_MLOCK, 8 * M, 8 * M, 0, 0, o_containerd, true, 16 * M,
	  .err = -ENOMEM, .flags = X_LIMIT, .first = "container runtime (containerd-shim)",
	  .none = "docker", .none2 = "Docker" },
	{ "origin/docker", MODE_MLOCK, 8 * M, 8 * M, 0, 0, o_docker, true, 16 * M, .err = -ENOMEM,
	  .flags = X_LIMIT, .first = "--ulimit memlock=16777216:16777216" },
	{ "origin/conmon", MODE_MLOCK, 8 * M, 8 * M, 0, 0, o_conmon, true, 16 * M, .err = -ENOMEM,
	  .flags = X_LIMIT, .first = "(podman)", .none = "docker" },
	{ "origin/kubernetes", MODE_MLOCK, 8 * M, 8 * M, 0, 0, o_kubernetes, true, 16 * M,
	  .err = -ENOMEM, .flags = X_LIMIT, .first = "containerd.service", .none = "docker" },
	{ "origin/runc", MODE_MLOCK, 8 * M, 8 * M, 0, 0, o_runc, true, 16 * M, .err = -ENOMEM,
	  .flags = X_LIMIT, .first = "container runtime (runc)", .none = "docker" },
	{ "origin/session", MODE_MLOCK, 8 * M, 8 * M, 0, 0, o_session, true, 16 * M, .err = -ENOMEM,
	  .flags = X_LIMIT, .first = "/etc/security/limits.d/90-x.conf line 2 to give nobody "
		 "'soft memlock 16384'" },
	{ "origin/session-no-config", MODE_MLOCK, 8 * M, 8 * M, 0, 0, o_session_bare, true, 16 * M,
	  .err = -ENOMEM, .flags = X_LIMIT, .first = "'nobody soft memlock 16384'" },
	{ "origin/shell", MODE_MLOCK, 8 * M, 8 * M, 0, 0, o_shell, true, 16 * M, .err = -ENOMEM,
	  .flags = X_LIMIT, .first = "the shell pid 4241 (bash): there, 'ulimit -S -l 16384'" },
	{ "origin/shell-hard-lowered", MODE_MLOCK, 8 * M, 8 * M, 0, 0, o_shell_hard, true, 16 * M,
	  .err = -ENOMEM, .flags = X_LIMIT, .first = "only CAP_SYS_RESOURCE raises" },
	{ "origin/self-shell-raise-first", MODE_MLOCK, 8 * M, 64 * M, 0, 0, o_self_shell, true,
	  16 * M, .err = -ENOMEM, .flags = X_LIMIT,
	  .first = "raise the soft limit to the hard one (64M)" },
	{ "origin/wrapper-raise-first", MODE_MLOCK, 8 * M, 64 * M, 0, 0, o_wrapper, true, 16 * M,
	  .err = -ENOMEM, .flags = X_LIMIT, .first = "'memlock limit -p 4242 --raise'",
	  .some = "without the wrapper that lowered it" },
	{ "origin/wrapper", MODE_MLOCK, 8 * M, 8 * M, 0, 0, o_wrapper, true, 16 * M, .err = -ENOMEM,
	  .flags = X_LIMIT,
	  .first = "without the wrapper that lowered it (its parent pid 4241 (bash) "
		 "has soft 64M, hard unlimited)" },
	{ "origin/inherited", MODE_MLOCK, 8 * M, 8 * M, 0, 0, o_inherited, true, 16 * M,
	  .err = -ENOMEM, .flags = X_LIMIT, .first = "never changed below pid 1 (systemd)" },
	{ "origin/unknown", MODE_MLOCK, 8 * M, 8 * M, 0, 0, NULL, true, 16 * M, .err = -ENOMEM,
	  .flags = X_LIMIT, .first = "setrlimit(RLIMIT_MEMLOCK)" },
	{ "origin/unknown-over-in-io_uring", MODE_IO_URING, 8 * M, 8 * M, 0, 0, o_docker, true,
	  16 * M, .err = -ENOMEM, .flags = X_LIMIT, .first = "--ulimit memlock=16777216:16777216" },
};

/* ---- diag_provenance() over the fixture trees ---- */

struct prov_case {
	const char *name;
	int pid;
	uint32_t uid;
	uint64_t soft, hard;		/* the target's own limit: link 0 */
	const char *etc;		/* below the fixtures: "sysd/etc" */
	enum diag_origin origin;
	enum diag_chain_end end;
	int set_at;
	int n;				/* links, or 0: not checked */
	const char *unit, *runtime;	/* NULL: "" */
	const char *config;		/* the end of the path, or NULL: "" */
	int config_line;
	int nolim;			/* a link whose limits are unreadable, or 0 */
	const char *bug;
};

static const struct prov_case prov_cases[] = {
	{ "prov/wrapper", 110, 65534, 1 * M, 1 * M, .origin = ORIGIN_WRAPPER, .end = CHAIN_TOP,
	  .set_at = 0, .n = 3 },
	{ "prov/shell-in-the-middle", 120, 65534, 1 * M, 1 * M, .origin = ORIGIN_SHELL,
	  .end = CHAIN_TOP, .set_at = 1, .n = 4 },
	{ "prov/systemd-v2-later-dropin-wins", 130, 0, 16 * M, 16 * M, .etc = "sysd/etc",
	  .origin = ORIGIN_SYSTEMD, .end = CHAIN_TOP, .set_at = 0, .n = 2, .unit = "foo.service",
	  .config = "sysd/etc/systemd/system/foo.service.d/20-b.conf", .config_line = 3 },
	{ "prov/systemd-v1-name=systemd", 131, 0, 16 * M, 16 * M, .etc = "sysd/etc",
	  .origin = ORIGIN_SYSTEMD, .end = CHAIN_TOP, .set_at = 0, .n = 2, .unit = "foo.service",
	  .config = "sysd/etc/systemd/system/foo.service.d/20-b.conf", .config_line = 3 },
	{ "prov/systemd-default-limit", 132, 0, 32 * M, 32 * M, .etc = "sysd/etc",
	  .origin = ORIGIN_SYSTEMD, .end = CHAIN_TOP, .set_at = 0, .n = 2, .unit = "bar.service",
	  .config = "sysd/etc/systemd/system.conf", .config_line = 4 },
	{ "prov/systemd-unchanged-from-pid-1", 133, 0, 8 * M, 8 * M, .etc = "sysd/etc",
	  .origin = ORIGIN_SYSTEMD, .end = CHAIN_TOP, .set_at = -1, .n = 2, .unit = "baz.service",
	  .config = "sysd/etc/systemd/system.conf", .config_line = 4 },
	{ "prov/systemd-no-config-at-all", 130, 0, 16 * M, 16 * M, .etc = "empty/etc",
	  .origin = ORIGIN_SYSTEMD, .end = CHAIN_TOP, .set_at = 0, .n = 2, .unit = "foo.service" },
	{ "prov/systemd-user", 140, 65534, 2 * M, 2 * M, .etc = "usersd/etc",
	  .origin = ORIGIN_SYSTEMD_USER, .end = CHAIN_TOP, .set_at = 0, .n = 3,
	  .unit = "app.service", .config = "usersd/etc/systemd/user/app.service.d/override.conf",
	  .config_line = 2 },
	{ "prov/container-containerd-shim", 150, 0, 65536, 65536, .origin = ORIGIN_CONTAINER,
	  .end = CHAIN_TOP, .set_at = 0, .n = 3, .runtime = "containerd-shim" },
	{ "prov/container-runc", 152, 0, 65536, 65536, .origin = ORIGIN_CONTAINER, .end = CHAIN_TOP,
	  .set_at = 0, .n = 3, .runtime = "runc" },
	{ "prov/container-conmon", 154, 1000, 65536, 65536, .origin = ORIGIN_CONTAINER,
	  .end = CHAIN_TOP, .set_at = 0, .n = 3, .runtime = "conmon" },
	{ "prov/container-docker-cgroup", 160, 0, 65536, 65536, .origin = ORIGIN_CONTAINER,
	  .end = CHAIN_TOP, .set_at = 0, .n = 3, .runtime = "docker" },
	{ "prov/session-sshd-user-line-wins", 170, 65534, 4 * M, 4 * M, .etc = "pam1/etc",
	  .origin = ORIGIN_SESSION, .end = CHAIN_TOP, .set_at = 0, .n = 3,
	  .config = "pam1/etc/security/limits.d/20-b.conf", .config_line = 3 },
	{ "prov/session-su-later-same-rank", 172, 65534, 2048, 2048, .etc = "pam2/etc",
	  .origin = ORIGIN_SESSION, .end = CHAIN_TOP, .set_at = 0, .n = 3,
	  .config = "pam2/etc/security/limits.d/50-x.conf", .config_line = 2 },
	{ "prov/session-star-not-for-root", 174, 0, 4 * M, 4 * M, .etc = "pam6/etc",
	  .origin = ORIGIN_SESSION, .end = CHAIN_TOP, .set_at = 0, .n = 3 },
	{ "prov/session-root-own-line", 178, 0, 4 * M, 4 * M, .etc = "pam3/etc",
	  .origin = ORIGIN_SESSION, .end = CHAIN_TOP, .set_at = 0, .n = 3,
	  .config = "pam3/etc/security/limits.d/10-root.conf", .config_line = 1 },
	{ "prov/session-group-beats-star", 176, 65534, 4 * M, 4 * M, .etc = "pam4/etc",
	  .origin = ORIGIN_SESSION, .end = CHAIN_TOP, .set_at = 0, .n = 3,
	  .config = "pam4/etc/security/limits.conf", .config_line = 1 },
	{ "prov/session-no-pam-config", 170, 65534, 4 * M, 4 * M, .etc = "empty/etc",
	  .origin = ORIGIN_SESSION, .end = CHAIN_TOP, .set_at = 0, .n = 3 },
	{ "prov/inherited", 180, 65534, 8 * M, 8 * M, .origin = ORIGIN_INHERITED, .end = CHAIN_TOP,
	  .set_at = -1, .n = 3 },
	{ "prov/vanished-before-a-change", 190, 65534, 1 * M, 1 * M, .origin = ORIGIN_UNKNOWN,
	  .end = CHAIN_VANISHED, .set_at = -1, .n = 2 },
	{ "prov/vanished-after-a-change", 192, 65534, 1 * M, 1 * M, .origin = ORIGIN_WRAPPER,
	  .end = CHAIN_VANISHED, .set_at = 0, .n = 2 },
	{ "prov/unreadable-status", 194, 65534, 1 * M, 1 * M, .origin = ORIGIN_UNKNOWN,
	  .end = CHAIN_UNREADABLE, .set_at = -1, .n = 1 },
	{ "prov/missing-limits-no-change", 200, 65534, 8 * M, 8 * M, .origin = ORIGIN_INHERITED,
	  .end = CHAIN_TOP, .set_at = -1, .n = 3, .nolim = 1 },
	{ "prov/parent-unlimited", 204, 65534, 1 * M, 1 * M, .origin = ORIGIN_WRAPPER,
	  .end = CHAIN_TOP, .set_at = 0, .n = 3 },
	{ "prov/longer-than-max-chain", 300, 65534, 8 * M, 8 * M, .origin = ORIGIN_UNKNOWN,
	  .end = CHAIN_LONG, .set_at = -1, .n = DIAG_MAX_CHAIN },
	{ "prov/ppid-loop", 400, 65534, 8 * M, 8 * M, .origin = ORIGIN_UNKNOWN, .end = CHAIN_LONG,
	  .set_at = -1, .n = DIAG_MAX_CHAIN },
	{ "prov/own-parent", 402, 65534, 8 * M, 8 * M, .origin = ORIGIN_UNKNOWN, .end = CHAIN_LONG,
	  .set_at = -1, .n = DIAG_MAX_CHAIN },
	{ "prov/pid-namespace-top", 500, 65534, 8 * M, 8 * M, .origin = ORIGIN_INHERITED,
	  .end = CHAIN_TOP, .set_at = -1, .n = 2 },
	{ "prov/hostile-name", 510, 65534, 1 * M, 1 * M, .origin = ORIGIN_WRAPPER, .end = CHAIN_TOP,
	  .set_at = 0, .n = 3 },
	{ "prov/no-such-target", 999, 65534, 1 * M, 1 * M, .origin = ORIGIN_UNKNOWN,
	  .end = CHAIN_VANISHED, .set_at = -1, .n = 0 },
	/* Known bugs: each asserts the rule the code breaks. */
	{ "prov/change-across-unreadable-limits", 202, 65534, 1 * M, 1 * M,
	  .origin = ORIGIN_UNKNOWN, .end = CHAIN_TOP, .set_at = -1, .n = 3, .nolim = 1},
	{ "prov/shell-ulimit-under-a-service", 520, 0, 1 * M, 1 * M, .etc = "sysd/etc",
	  .origin = ORIGIN_SHELL, .end = CHAIN_TOP, .set_at = 1, .n = 4},
	{ "prov/systemd-dropins-sorted-across-dirs", 134, 0, 16 * M, 16 * M, .etc = "sysd/etc",
	  .origin = ORIGIN_SYSTEMD, .end = CHAIN_TOP, .set_at = 0, .n = 2, .unit = "qux.service",
	  .config = "sysd/usr/lib/systemd/system/qux.service.d/90-vendor.conf", .config_line = 2},
	{ "prov/systemd-unit-in-etc-masks-lib", 135, 0, 32 * M, 32 * M, .etc = "sysd/etc",
	  .origin = ORIGIN_SYSTEMD, .end = CHAIN_TOP, .set_at = 0, .n = 2, .unit = "mask.service",
	  .config = "sysd/etc/systemd/system.conf", .config_line = 4},
	{ "prov/pam-percent-group-is-maxlogins-only", 540, 65534, 4 * M, 4 * M, .etc = "pam5/etc",
	  .origin = ORIGIN_SESSION, .end = CHAIN_TOP, .set_at = 0, .n = 3,
	  .config = "pam5/etc/security/limits.conf", .config_line = 1},
};

static void run_prov(int procfd, const char *dir, const struct prov_case *t)
{
	static struct diag_facts f;
	struct diag_provenance *p = &f.prov;
	char etc[512], config[600] = "";
	struct diag_roots roots = { .procfd = procfd, .etc = etc };
	struct ctx c = { .name = t->name };

	memset(&f, 0, sizeof(f));
	f.pid = t->pid;
	f.uid = t->uid;
	f.page_size = PAGE;
	f.lim.soft = t->soft;
	f.lim.hard = t->hard;
	f.lim.source = RL_PROCFS;
	snprintf(etc, sizeof(etc), "%s/%s", dir, t->etc ? t->etc : "empty/etc");
	if (t->config)
		snprintf(config, sizeof(config), "%s/%s", dir, t->config);
	diag_provenance(&roots, t->pid, &f);

	if (p->origin != t->origin)
		miss(&c, "origin %s, got %s", diag_origin_name(t->origin), diag_origin_name(p->origin));
	expect_int(&c, "end", t->end, p->end);
	expect_int(&c, "set_at", t->set_at, p->set_at);
	if (t->n)
		expect_int(&c, "links", t->n, p->n);
	expect_str(&c, "unit", t->unit, p->unit);
	expect_str(&c, "runtime", t->runtime, p->runtime);
	expect_str(&c, "config", config, p->config);
	expect_int(&c, "config_line", t->config_line, p->config_line);
	if (p->n > 0) {
		expect_int(&c, "link 0 pid", t->pid, p->link[0].pid);
		expect_bool(&c, "link 0 have_lim", true, p->link[0].have_lim);
		expect_u64(&c, "link 0 soft", t->soft, p->link[0].lim.soft);
	}
	if (t->nolim && t->nolim < p->n) {
		expect_bool(&c, "have_lim of the link without limits", false,
			    p->link[t->nolim].have_lim);
		expect_bool(&c, "changed of the link without limits", false,
			    p->link[t->nolim].changed);
	}
	if (p->set_at >= 0 && p->set_at < p->n && !p->link[p->set_at].changed)
		miss(&c, "link %d (set_at) marked changed", p->set_at);
	if (p->nevidence == 0 && p->n > 0)
		miss(&c, "some evidence, got none");
	for (int i = 0; i < p->nevidence; i++)
		if (!p->evidence[i][0])
			miss(&c, "evidence %d non-empty", i);
	finish(&c, t->bug);
}

/* The walk's details that the table does not say. */
static void run_prov_details(int procfd, const char *dir)
{
	static struct diag_facts f;
	char etc[512];
	struct diag_roots roots = { .procfd = procfd, .etc = etc };
	struct ctx c = { .name = "prov/hostile-name-unescaped" };

	snprintf(etc, sizeof(etc), "%s/empty/etc", dir);
	memset(&f, 0, sizeof(f));
	f.uid = 65534;
	f.lim = (struct memlock_limit){ .soft = 1 * M, .hard = 1 * M, .source = RL_PROCFS };
	diag_provenance(&roots, 510, &f);
	expect_str(&c, "name", "ev\til name \n\\x\033", f.prov.link[0].name);
	finish(&c, NULL);

	c = (struct ctx){ .name = "prov/parent-unlimited-read" };
	memset(&f, 0, sizeof(f));
	f.uid = 65534;
	f.lim = (struct memlock_limit){ .soft = 1 * M, .hard = 1 * M, .source = RL_PROCFS };
	diag_provenance(&roots, 204, &f);
	expect_u64(&c, "link 1 soft", UNL, f.prov.link[1].lim.soft);
	expect_u64(&c, "link 1 hard", UNL, f.prov.link[1].lim.hard);
	expect_str(&c, "link 2 name", "systemd", f.prov.link[2].name);
	expect_int(&c, "link 2 pid", 1, f.prov.link[2].pid);
	finish(&c, NULL);

	/* A short etc root ("etc" has nothing above it): no crash. */
	c = (struct ctx){ .name = "prov/short-etc-root" };
	memset(&f, 0, sizeof(f));
	f.uid = 0;
	f.lim = (struct memlock_limit){ .soft = 16 * M, .hard = 16 * M, .source = RL_PROCFS };
	roots.etc = "e";
	diag_provenance(&roots, 130, &f);
	if (f.prov.origin != ORIGIN_SYSTEMD)
		miss(&c, "origin systemd, got %s", diag_origin_name(f.prov.origin));
	finish(&c, NULL);
}

/*
 * Gathering through injectable roots: gather/proc (pid 700, "db", under
 * 701, "bash", the top of its PID namespace), gather/cgroup (v1 memory,
 * the tightest limit on app.slice) and gather/etc, read as a fixture.
 */
static void run_gather(const char *dir)
{
	static struct diag_facts f;
	static struct diag_report r;
	char proc[512], cg[512], etc[512];
	struct ctx c = { .name = "gather/facts" };
	struct diag_roots roots = { .etc = etc, .cgroup = cg, .fixture = true };
	int rc;

	snprintf(proc, sizeof(proc), "%s/gather/proc", dir);
	snprintf(cg, sizeof(cg), "%s/gather/cgroup", dir);
	snprintf(etc, sizeof(etc), "%s/gather/etc", dir);
	roots.procfd = procfs_open(proc);
	rc = diag_gather_at(&roots, 700, &f);
	expect_int(&c, "rc", 0, rc);
	expect_str(&c, "name", "db", f.name);
	expect_u64(&c, "soft", 8 * M, f.lim.soft);
	expect_u64(&c, "hard", 16 * M, f.lim.hard);
	expect_u64(&c, "vmlck", 2 * M, f.st.vmlck);
	expect_u64(&c, "vmpin", 512 * K, f.st.vmpin);
	expect_u64(&c, "map_count (no vsyscall)", 4, f.map_count);
	expect_u64(&c, "max_map_count", 65530, f.max_map_count);
	expect_bool(&c, "caps effective", false, f.caps.ipc_lock.effective);
	expect_bool(&c, "caps bounding", true, f.caps.ipc_lock.bounding);
	finish(&c, NULL);

	c = (struct ctx){ .name = "gather/shm-user-segments" };
	expect_bool(&c, "have_shm", true, f.user.have_shm);
	expect_u64(&c, "locked (uid's, locked only)", 4 * M, f.user.shm_locked);
	expect_u64(&c, "segments", 2, f.user.shm_segs);
	expect_u64(&c, "stale (unattached, creator gone)", 1, f.user.shm_stale);
	expect_int(&c, "stale id", 11, f.user.shm_stale_id);
	finish(&c, NULL);

	c = (struct ctx){ .name = "gather/io_uring-fdinfo-sqmask" };
	expect_u64(&c, "rings", 1, f.user.uring_rings);
	expect_u64(&c, "target's rings", 1, f.user.uring_target_rings);
	/* 256K in 64 pages, and 4K straddling two pages. */
	expect_u64(&c, "buffers (pages touched)", 264 * K, f.user.uring_bufs);
	expect_u64(&c, "ring memory (8 SQ, 16 CQ)", 8 * K, f.user.uring_ring_bytes);
	expect_u64(&c, "processes", 2, f.user.uring_procs);
	expect_u64(&c, "unreadable", 0, f.user.uring_hidden);
	expect_u64(&c, "perf rings", 260 * K, f.user.perf_locked);
	finish(&c, NULL);

	c = (struct ctx){ .name = "gather/memcg-v1-tightest" };
	expect_int(&c, "cg_err", 0, f.mem.cg_err);
	expect_bool(&c, "v1", true, f.mem.cg.v1);
	expect_bool(&c, "limited", true, f.mem.cg.limited);
	expect_u64(&c, "limit", 512 * M, f.mem.cg.limit);
	expect_u64(&c, "usage", 400 * M, f.mem.cg.usage);
	expect_u64(&c, "reclaimable", 100 * M, f.mem.cg.reclaimable);
	expect_u64(&c, "MemAvailable", 12000000 * K, f.mem.mi.available);
	expect_u64(&c, "SwapTotal", 1000000 * K, f.mem.mi.swap_total);
	finish(&c, NULL);

	c = (struct ctx){ .name = "gather/sysctls-and-groups" };
	expect_u64(&c, "perf_event_mlock_kb", 516, f.perf_mlock_kb);
	expect_int(&c, "perf_event_paranoid", 2, f.perf_paranoid);
	expect_u64(&c, "hugetlb_shm_group", 4242, f.hugetlb_group);
	expect_bool(&c, "in the hugetlb group (Groups:)", true, f.in_hugetlb_group);
	expect_bool(&c, "overcommit read", true, f.have_overcommit);
	finish(&c, NULL);

	c = (struct ctx){ .name = "gather/provenance-ns-top" };
	expect_int(&c, "links", 2, f.prov.n);
	expect_int(&c, "end", CHAIN_TOP, f.prov.end);
	expect_int(&c, "set_at", 0, f.prov.set_at);
	expect_int(&c, "origin", ORIGIN_WRAPPER, f.prov.origin);
	finish(&c, NULL);

	/* The counters are used: io_uring's charge is the user's buffers,
	 * rings and perf rings within the allowance, before SIZE. */
	c = (struct ctx){ .name = "gather/io_uring-charge-from-counters" };
	diag_evaluate(&f, MODE_IO_URING, true, 7 * M + 512 * K, false, &r);
	expect_u64(&c, "charge", (264 + (diag_kernel_at_least(&f, 6, 14) ? 8 : 0) + 260) * K +
		   7 * M + 512 * K, r.charge);
	expect_errno(&c, "err", diag_kernel_at_least(&f, 6, 14) ? -ENOMEM : 0, r.err);
	finish(&c, NULL);

	c = (struct ctx){ .name = "gather/mmap-locked-beside-cgroup" };
	diag_evaluate(&f, MODE_MMAP_LOCKED, true, 200 * M, false, &r);
	/* VmLck 2M + 200M over 8M: EAGAIN from the limit, first. */
	expect_errno(&c, "err", -EAGAIN, r.err);
	expect_bool(&c, "limit_failed", true, r.limit_failed);
	finish(&c, NULL);
	close(roots.procfd);
}

int main(int argc, char **argv)
{
	char proc[512];
	int procfd;

	if (argc != 2) {
		fprintf(stderr, "usage: %s FIXTURE_DIR\n", argv[0]);
		return 2;
	}
	snprintf(proc, sizeof(proc), "%s/proc", argv[1]);
	procfd = procfs_open(proc);
	if (procfd < 0) {
		fprintf(stderr, "%s: %s: %s\n", argv[0], proc, strerror(-procfd));
		return 2;
	}

	run_generic();
	for (size_t i = 0; i < sizeof(eval_cases) / sizeof(eval_cases[0]); i++)
		run_eval(&eval_cases[i]);
	for (size_t i = 0; i < sizeof(prov_cases) / sizeof(prov_cases[0]); i++)
		run_prov(procfd, argv[1], &prov_cases[i]);
	run_prov_details(procfd, argv[1]);
	run_gather(argv[1]);
	close(procfd);

	printf("%d cases, %d failed, %d passed, %d known bugs\n", ncases, nfailed,
	       ncases - nfailed - nbugs, nbugs);
	return nfailed ? 1 : 0;
}
