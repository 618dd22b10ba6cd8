/*
 * doctor's remedies: the first acts on the layer where the limit was set
 * (the process the provenance walk found, and what set it there), then
 * the quick ones, then the capability.  A remedy that cannot help is not
 * offered: raising soft to a hard limit that is no higher, a capability
 * that is not in the bounding set, removing a segment that is not charged
 * to this user.
 */
#define _GNU_SOURCE
#include "diag-internal.h"
#include "size.h"

#include <errno.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

void diag_remedy(struct diag_report *r, const char *fmt, ...)
{
	va_list ap;

	if (r->nremedies >= DIAG_MAX_REMEDIES)
		return;
	va_start(ap, fmt);
	vsnprintf(r->remedies[r->nremedies++], sizeof(r->remedies[0]), fmt, ap);
	va_end(ap);
}

const char *diag_kb_text(unsigned long long kb)
{
	static char buf[4][32];
	static int i;
	char *b = buf[i++ % 4];

	/* A limit to set: above 1M, whole MiB, rounded up ("1025M", not
	 * "1048608K"); a little more than needed does no harm. */
	if (kb > 1024 && kb % 1024)
		kb = (kb + 1023) / 1024 * 1024;
	if (kb && kb % (1024 * 1024) == 0)
		snprintf(b, 32, "%lluG", kb / (1024 * 1024));
	else if (kb && kb % 1024 == 0)
		snprintf(b, 32, "%lluM", kb / 1024);
	else
		snprintf(b, 32, "%lluK", kb);
	return b;
}

static const char *user_name(uint32_t uid)
{
	static char buf[64];
	struct passwd *pw = getpwuid(uid);

	if (pw)
		snprintf(buf, sizeof(buf), "%s", pw->pw_name);
	else
		snprintf(buf, sizeof(buf), "#%u", uid);
	return buf;
}

static void remedy_systemd(const struct diag_facts *f, struct diag_report *r,
			   unsigned long long kb, bool user)
{
	const struct diag_provenance *p = &f->prov;
	const char *ctl = user ? "systemctl --user" : "systemctl";
	bool in_unit = p->config[0] && strstr(p->config, p->unit);

	if (in_unit)
		diag_remedy(r, "the limit comes from the %s unit %s: change 'LimitMEMLOCK=' in "
			    "%s (line %d) to %s (or infinity), then '%s daemon-reload' and "
			    "'%s restart %s'", user ? "user" : "systemd", p->unit, p->config,
			    p->config_line, diag_kb_text(kb), ctl, ctl, p->unit);
	else
		diag_remedy(r, "the limit comes from the %s unit %s%s%s: add a drop-in "
			    "%s/%s.d/memlock.conf with '[Service]' and 'LimitMEMLOCK=%s' (or "
			    "infinity; '%s edit %s' writes one), then '%s daemon-reload' and "
			    "'%s restart %s'", user ? "user" : "systemd", p->unit,
			    p->config[0] ? ", which has the manager's default from " : "",
			    p->config, user ? "~/.config/systemd/user" : "/etc/systemd/system",
			    p->unit, diag_kb_text(kb), ctl, p->unit, ctl, ctl, p->unit);
	if (user && f->lim.hard != SIZE_UNLIMITED && f->lim.hard < kb * 1024)
		diag_remedy(r, "a user manager cannot go above its own hard limit (%s): raise "
			    "LimitMEMLOCK= of user@%u.service first", diag_sz(f->lim.hard), f->uid);
}

static void remedy_container(const struct diag_facts *f, struct diag_report *r,
			     unsigned long long kb)
{
	const char *rt = f->prov.runtime;
	unsigned long long b = kb * 1024;

	if (strcmp(rt, "kubernetes") == 0 || strcmp(rt, "cri-o") == 0)
		diag_remedy(r, "the limit comes from the container runtime (%s): pods inherit "
			    "the runtime's, so set 'LimitMEMLOCK=%s' (or infinity) on its unit "
			    "('systemctl edit containerd.service' or crio.service) and restart it",
			    rt, diag_kb_text(kb));
	else if (strcmp(rt, "docker") == 0 || strcmp(rt, "dockerd") == 0)
		diag_remedy(r, "the limit comes from the container (docker): start it with "
			    "'--ulimit memlock=%llu:%llu' (compose: 'ulimits: memlock:'), or set "
			    "\"default-ulimits\" in /etc/docker/daemon.json", b, b);
	else if (strcmp(rt, "podman") == 0 || strcmp(rt, "conmon") == 0)
		diag_remedy(r, "the limit comes from the container (podman): start it with "
			    "'--ulimit memlock=%llu:%llu', or set default_ulimits in "
			    "containers.conf", b, b);
	else if (strncmp(rt, "containerd", 10) == 0)
		diag_remedy(r, "the limit comes from the container runtime (%s): a container "
			    "gets containerd's own limit unless its spec sets one, so give "
			    "containerd.service 'LimitMEMLOCK=%s' (or infinity), or start the "
			    "container with '--ulimit memlock=%llu:%llu' (nerdctl)", rt,
			    diag_kb_text(kb), b, b);
	else
		diag_remedy(r, "the limit comes from the container runtime (%s): start the "
			    "container with '--ulimit memlock=%llu:%llu', or give the runtime's "
			    "unit 'LimitMEMLOCK=%s'", rt, b, b, diag_kb_text(kb));
}

static void remedy_session(const struct diag_facts *f, struct diag_report *r,
			   unsigned long long kb)
{
	const struct diag_provenance *p = &f->prov;
	const char *u = user_name(f->uid);

	if (p->config[0])
		diag_remedy(r, "the limit comes from the login session (pam_limits): change "
			    "%s line %d to give %s 'soft memlock %llu' and 'hard memlock %llu' "
			    "(KiB), then log in again", p->config, p->config_line, u, kb, kb);
	else
		diag_remedy(r, "the limit comes from the login session: add '%s soft memlock "
			    "%llu' and '%s hard memlock %llu' to /etc/security/limits.d/"
			    "90-memlock.conf (pam_limits), then log in again", u, kb, u, kb);
}

/* A note when KB is above L's hard limit: only CAP_SYS_RESOURCE raises it. */
static const char *above_hard(const struct diag_link *l, unsigned long long kb)
{
	static char buf[160];

	if (l->lim.hard == SIZE_UNLIMITED || l->lim.hard >= kb * 1024)
		return "";
	snprintf(buf, sizeof(buf), " (above the hard limit %s there: only as root with "
		 "CAP_SYS_RESOURCE)", diag_sz(l->lim.hard));
	return buf;
}

/* The process at which the limit changed, and its parent's limits. */
static void remedy_changed_at(const struct diag_facts *f, struct diag_report *r,
			      unsigned long long kb)
{
	const struct diag_provenance *p = &f->prov;
	const struct diag_link *c = &p->link[p->set_at], *up = &p->link[p->set_at + 1];
	bool wrapped_self = f->self && p->set_at == 0;
	/* Where memlock was started (its parent, in the chain): a wrapper
	 * run from there gets no more than its hard limit. */
	const struct diag_link *shell = f->self && p->n > 1 && p->link[1].have_lim ?
					&p->link[1] : NULL;

	if (p->origin == ORIGIN_SHELL && c->lim.hard != SIZE_UNLIMITED && c->lim.hard < kb * 1024)
		diag_remedy(r, "the limit was set in the shell pid %d (%s), hard %s: a `ulimit -l` "
			    "there (or what started it) lowered it, and only CAP_SYS_RESOURCE raises "
			    "a hard limit back; start the program from a shell without it (its "
			    "parent pid %d (%s) has soft %s, hard %s)", c->pid, c->name,
			    diag_sz(c->lim.hard), up->pid, up->name, diag_sz(up->lim.soft),
			    diag_sz(up->lim.hard));
	else if (p->origin == ORIGIN_SHELL)
		diag_remedy(r, "the limit was set in the shell pid %d (%s): there, 'ulimit -S -l "
			    "%llu' (or remove the `ulimit -l` that lowered it), then start the "
			    "program again", c->pid, c->name, kb);
	else if (c->lim.soft > up->lim.soft || c->lim.hard > up->lim.hard)
		diag_remedy(r, "pid %d (%s) has a higher limit than its parent pid %d (%s), soft "
			    "%s, hard %s: it was raised at its exec, or the parent's lowered "
			    "later; started again from there it would get less, so raise it "
			    "where it starts: 'memlock limit --set %s -- PROGRAM'%s", c->pid,
			    c->name, up->pid, up->name, diag_sz(up->lim.soft),
			    diag_sz(up->lim.hard), diag_kb_text(kb), above_hard(up, kb));
	else if (wrapped_self)
		diag_remedy(r, "the limit (soft %s, hard %s) was set between this shell (soft "
			    "%s, hard %s) and the program, by a wrapper such as prlimit: raise it "
			    "there, to %s%s, or start the program without it", diag_sz(f->lim.soft),
			    diag_sz(f->lim.hard), diag_sz(up->lim.soft), diag_sz(up->lim.hard),
			    diag_kb_text(kb), above_hard(up, kb));
	else
		diag_remedy(r, "the limit was set at the exec of pid %d (%s) or later: start it "
			    "without the wrapper that lowered it (its parent pid %d (%s) has soft "
			    "%s, hard %s), or with 'memlock limit --set %s -- PROGRAM'%s", c->pid,
			    c->name, up->pid, up->name, diag_sz(up->lim.soft),
			    diag_sz(up->lim.hard), diag_kb_text(kb),
			    above_hard(shell && shell->lim.hard < up->lim.hard ? shell : up, kb));
}

/* The lasting fix, where the limit was set. */
static void remedy_origin(const struct diag_facts *f, struct diag_report *r,
			  unsigned long long kb)
{
	const struct diag_provenance *p = &f->prov;
	const struct diag_link *top = p->n ? &p->link[p->n - 1] : NULL;

	switch (p->origin) {
	case ORIGIN_SYSTEMD:
	case ORIGIN_SYSTEMD_USER:
		remedy_systemd(f, r, kb, p->origin == ORIGIN_SYSTEMD_USER);
		break;
	case ORIGIN_CONTAINER:
		remedy_container(f, r, kb);
		break;
	case ORIGIN_SESSION:
		remedy_session(f, r, kb);
		break;
	case ORIGIN_SHELL:
	case ORIGIN_WRAPPER:
		remedy_changed_at(f, r, kb);
		break;
	case ORIGIN_INHERITED:
		diag_remedy(r, "the limit was never changed below pid %d (%s): it is what that "
			    "process started with (the kernel's default is 8M since 5.16); set it "
			    "where the program is started: 'memlock limit --set %s -- PROGRAM'%s, "
			    "LimitMEMLOCK= in its unit, or /etc/security/limits.d for logins",
			    top->pid, top->name, diag_kb_text(kb), above_hard(top, kb));
		break;
	default:
		diag_remedy(r, "have the program raise its own limit (setrlimit(RLIMIT_MEMLOCK)) "
			    "before it locks, or start it with 'memlock limit --set %s -- "
			    "PROGRAM'", diag_kb_text(kb));
		break;
	}
}

static void remedy_caps(const struct diag_facts *f, struct diag_report *r)
{
	const struct cap_bits *c = &f->caps.ipc_lock;

	if (r->mode == MODE_BPF || f->caps.userns)
		return;		/* bpf asks no capability; a user namespace's does not count */
	if (c->permitted && !c->effective)
		diag_remedy(r, "CAP_IPC_LOCK is already permitted: make it effective "
			    "(cap_set_proc(), or capsh --caps) and no limit applies%s",
			    r->mode == MODE_IO_URING ? " to rings set up after that" : "");
	else if (c->bounding)
		diag_remedy(r, "or grant CAP_IPC_LOCK, which lifts the limit: 'setcap "
			    "cap_ipc_lock+ep PROGRAM', or AmbientCapabilities=CAP_IPC_LOCK in a unit%s",
			    r->mode == MODE_PERF ? " (or kernel.perf_event_paranoid=-1)" : "");
}

static void remedy_mode(const struct diag_facts *f, struct diag_report *r)
{
	const struct diag_user *u = &f->user;

	switch (r->mode) {
	case MODE_MLOCKALL:
		diag_remedy(r, "mlockall(MCL_CURRENT) charges all of VmSize (%s): lock only the "
			    "buffers that need it with mlock()", diag_sz(f->st.vmsize));
		break;
	case MODE_SHM:
		/* Only a segment this user owns or made, in its namespace:
		 * removing it returns the charge (shm_destroy() unlocks). */
		if (u->have_shm && u->shm_stale && u->shm_other_ns)
			diag_remedy(r, "remove the locked System V segments of uid %u that no "
				    "process attaches, in its IPC namespace: 'nsenter -t %d --ipc "
				    "ipcrm -m %d' (see 'ipcs -m' there)", f->uid, f->pid,
				    u->shm_stale_id);
		else if (u->have_shm && u->shm_stale)
			diag_remedy(r, "remove the locked System V segments of uid %u that no "
				    "process attaches: 'ipcrm -m %d' (see 'ipcs -m')", f->uid,
				    u->shm_stale_id);
		break;
	case MODE_IO_URING:
		if (u->uring_bufs)
			diag_remedy(r, "uid %u's io_uring instances already hold %s of registered "
				    "buffers, charged together: unregister what is unused, or "
				    "register smaller buffers", f->uid, diag_sz(u->uring_bufs));
		break;
	case MODE_PERF:
		diag_remedy(r, "map a smaller ring (perf record -m), or raise "
			    "kernel.perf_event_mlock_kb (now %lluK per CPU), which is free of "
			    "the limit", (unsigned long long)f->perf_mlock_kb);
		break;
	case MODE_BPF:
		diag_remedy(r, "on kernels before 5.11 only RLIMIT_MEMLOCK helps, even for root: "
			    "'ulimit -l unlimited' (or LimitMEMLOCK=infinity) where the loader "
			    "starts, as bpftool and libbpf do");
		break;
	default:
		break;
	}
}

static void remedy_limit(const struct diag_facts *f, struct diag_report *r)
{
	/* What the limit must allow: the charge, or without a SIZE what is
	 * held and one page more (a remedy that leaves the limit where it
	 * is would help nothing). */
	uint64_t need = r->has_size ? r->charge : r->charge + f->page_size;
	/* A limit of 0 is what fails a lock of nothing: a page at least. */
	if (need < f->page_size)
		need = f->page_size;
	unsigned long long kb = (need + 1023) / 1024;
	/* Raising the soft limit to the hard one helps only when the hard
	 * one is higher, and high enough. */
	bool room = f->lim.hard > f->lim.soft &&
		    (f->lim.hard == SIZE_UNLIMITED || f->lim.hard >= need);
	const struct diag_provenance *p = &f->prov;
	bool wrapped_self = f->self && p->set_at == 0;
	/* The quick fix acts on the very layer that set the limit when that
	 * is the process itself (a wrapper at its exec, `prlimit --pid`), or
	 * the shell this doctor runs from: then it comes first. */
	bool quick_first = room && ((!f->self && p->set_at == 0 && p->origin == ORIGIN_WRAPPER) ||
				    (f->self && p->set_at == 1 && p->origin == ORIGIN_SHELL));

	/* Removing segments nobody uses frees enough, and no privilege is
	 * needed: the quickest fix of all comes first. */
	if (r->mode == MODE_SHM && f->user.have_shm && f->user.shm_stale &&
	    !room && f->user.shm_stale_bytes + f->lim.soft >= need)
		remedy_mode(f, r);
	if (!quick_first)
		remedy_origin(f, r, kb);
	if (room && f->self && !wrapped_self)
		diag_remedy(r, "%sraise the soft limit to the hard one (%s), which needs no "
			    "privilege: 'memlock limit --raise' in this shell",
			    quick_first ? "" : "or now: ", diag_sz(f->lim.hard));
	else if (room && !f->self)
		diag_remedy(r, "%sraise its soft limit to the hard one (%s), which needs no "
			    "privilege as its own user: 'memlock limit -p %d --raise'",
			    quick_first ? "" : "or now: ", diag_sz(f->lim.hard), f->pid);
	else if (!room && !f->self)
		diag_remedy(r, "until then, as root with CAP_SYS_RESOURCE, raise both limits of "
			    "the running process: 'memlock limit -p %d --set %s'", f->pid,
			    diag_kb_text(kb));
	if (quick_first && !(f->self && p->origin == ORIGIN_SHELL))
		remedy_origin(f, r, kb);
	if (f->caps.userns)
		diag_remedy(r, "the process runs in a user namespace: CAP_IPC_LOCK inside it "
			    "does not count, so raise RLIMIT_MEMLOCK before entering it");
	remedy_caps(f, r);
	if (!(r->mode == MODE_SHM && r->nremedies && strstr(r->remedies[0], "ipcrm")))
		remedy_mode(f, r);
}

/* The guard's input that could not be read, for sentences. */
const char *diag_unreadable(const struct diag_facts *f)
{
	static char buf[400];
	int e;

	return memguard_unreadable(&f->mem, buf, sizeof(buf), &e) ? buf : "a file it needs";
}

void diag_remedies(const struct diag_facts *f, struct diag_report *r)
{
	const char *failed = r->failed ? r->failed : "";

	bool memory_fails = false;

	for (int i = 0; i < r->nchecks; i++)
		if (r->checks[i].result == DIAG_FAIL && strcmp(r->checks[i].name, "memory") == 0)
			memory_fails = true;
	/* Past the limit and past what mmap() or RAM allows: no limit helps. */
	if (r->limit_failed && memory_fails) {
		diag_remedy(r, "lock less: %s is more than this machine can map or hold (%s of "
			    "RAM, %s of swap), so no limit would make it fit", diag_sz(r->size),
			    diag_sz(f->mem.mi.total), diag_sz(f->mem.mi.swap_total));
	} else if (r->limit_failed) {
		remedy_limit(f, r);
	} else if (strcmp(failed, "map_count") == 0) {
		diag_remedy(r, "raise vm.max_map_count: 'sysctl -w vm.max_map_count=%llu', kept in "
			    "/etc/sysctl.d/ (or make fewer, larger mappings)",
			    (unsigned long long)f->max_map_count * 2);
	} else if (r->oom) {
		diag_remedy(r, "raise the limit of memory cgroup %s (memory.%s; systemd: "
			    "MemoryMax=, a container: its --memory)", f->mem.cg.path,
			    f->mem.cg.v1 ? "limit_in_bytes" : "max");
	} else if (r->err == -ENOMEM && strcmp(failed, "memory") == 0 && f->overcommit == 2) {
		const struct meminfo *mi = &f->mem.mi;

		diag_remedy(r, "lock less than the commit room, %s (CommitLimit %s less "
			    "Committed_AS %s), or raise vm.overcommit_ratio: under "
			    "vm.overcommit_memory 2 mmap() refuses more", diag_sz(mi->commit_limit >
			    mi->committed ? mi->commit_limit - mi->committed : 0),
			    diag_sz(mi->commit_limit), diag_sz(mi->committed));
	} else if (r->err == -ENOMEM && strcmp(failed, "memory") == 0) {
		diag_remedy(r, "lock less than the machine has (%s of RAM, %s of swap): mmap() "
			    "refuses it before any lock", diag_sz(f->mem.mi.total),
			    diag_sz(f->mem.mi.swap_total));
	} else if (r->err == -EAGAIN) {
		diag_remedy(r, "lock less, or free memory first: the machine has %s in all",
			    diag_sz(f->mem.mi.total));
	} else if (r->unknown && f->user.uring_hidden && geteuid() != 0) {
		diag_remedy(r, "run doctor as root, which can read every process's io_uring "
			    "descriptors");
	} else if (r->unknown && f->user.uring_hidden) {
		diag_remedy(r, "try again: %llu io_uring descriptor%s of uid %u could not be "
			    "read (a ring busy, or a process exiting)",
			    (unsigned long long)f->user.uring_hidden,
			    f->user.uring_hidden == 1 ? "" : "s", f->uid);
	} else if (r->unknown) {
		diag_remedy(r, "let memlock read %s (a procfs mounted with subset=pid, or a "
			    "cgroup filesystem hidden, hides it), or run doctor where it can",
			    r->shm_unknown ? PROCFS_ROOT "/sysvipc/shm" : diag_unreadable(f));
	}
}
