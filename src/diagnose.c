/* What the kernel will say to a lock, and why: do_mlock(), do_mlockall(),
 * shmctl(SHM_LOCK) and the memory cgroup, as checks over /proc facts. */
#define _GNU_SOURCE
#include "diagnose.h"
#include "size.h"

#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include "syscalls.h"
#include <sys/resource.h>
#include <sys/shm.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

static void shm_facts(int procfd, struct diag_facts *f)
{
	struct shm_seg *segs;
	size_t n;

	if (procfs_read_shm(procfd, &segs, &n) != 0)
		return;
	f->have_shm = true;
	f->shm_stale_id = -1;
	for (size_t i = 0; i < n; i++) {
		/* The kernel charges the locker's user; /proc shows owner and
		 * creator, which is who locks in practice. */
		if (!(segs[i].perms & SHM_LOCKED_BIT) ||
		    (segs[i].uid != f->uid && segs[i].cuid != f->uid))
			continue;
		f->shm_locked += segs[i].size;
		f->shm_segs++;
		if (segs[i].nattch == 0) {
			f->shm_stale++;
			f->shm_stale_id = segs[i].shmid;
		}
	}
	free(segs);
}

static bool contains(const char *hay, const char *needle)
{
	return hay && strstr(hay, needle);
}

/* The last path component of the first line ending in SUFFIX, into OUT. */
static void component_with(const char *cg, const char *suffix, char *out, size_t len)
{
	for (const char *l = cg; l && *l; l = strchr(l, '\n'), l = l ? l + 1 : NULL) {
		size_t n = strcspn(l, "\n");
		const char *end = l + n, *start = end;

		if (n < strlen(suffix) || strncmp(end - strlen(suffix), suffix, strlen(suffix)))
			continue;
		while (start > l && start[-1] != '/')
			start--;
		snprintf(out, len, "%.*s", (int)(end - start), start);
		return;
	}
}

/* The container PID runs in, if any, into F->container. */
/*
 * The container PID runs in, if any, into F->container: from its user
 * namespace and its cgroup, which the runtime made.  A marker file such as
 * /.dockerenv is no evidence: it is left in images and VMs that run no
 * container runtime at all.
 */
static void container_facts(const char *cg, const char *map, struct diag_facts *f)
{
	const char *kind = NULL;

	/* A user namespace comes first: there CAP_IPC_LOCK does not count,
	 * whoever made the namespace. */
	if (map && !contains(map, "         0          0 4294967295"))
		kind = "user namespace";
	else if (contains(cg, "kubepods"))
		kind = "kubernetes";
	else if (contains(cg, "libpod"))
		kind = "podman";
	else if (contains(cg, "docker") || contains(cg, "containerd"))
		kind = "docker";
	if (kind)
		snprintf(f->container, sizeof(f->container), "%s", kind);
}

/*
 * How the process got its limit, most specific first: a systemd unit (its
 * LimitMEMLOCK=), a container (its --ulimit, which also caps a unit inside
 * it), a login session (pam_limits), or the process itself.
 */
static void origin_facts(int procfd, struct diag_facts *f)
{
	char path[64], *cg = NULL, *map = NULL;

	snprintf(path, sizeof(path), "%d/cgroup", f->pid);
	procfs_read_file(procfd, path, &cg, NULL);
	snprintf(path, sizeof(path), "%d/uid_map", f->pid);
	procfs_read_file(procfd, path, &map, NULL);
	container_facts(cg, map, f);
	if (contains(cg, ".service") && !contains(cg, "/user@"))
		component_with(cg, ".service", f->unit, sizeof(f->unit));
	if (strcmp(f->container, "user namespace") == 0 || (f->container[0] && !f->unit[0]))
		f->origin = ORIGIN_CONTAINER;
	else if (f->unit[0])
		f->origin = ORIGIN_SYSTEMD;
	else if (contains(cg, "/session-") || contains(cg, "/user@"))
		f->origin = ORIGIN_SESSION;
	else
		f->origin = ORIGIN_PROCESS;
	free(cg);
	free(map);
}

int diag_gather(int procfd, int pid, struct diag_facts *f)
{
	struct utsname u;
	int rc;

	memset(f, 0, sizeof(*f));
	f->self = pid == 0;
	f->pid = pid ? pid : getpid();
	f->page_size = (uint64_t)sysconf(_SC_PAGESIZE);
	rc = procfs_read_status(procfd, f->pid, &f->st);
	if (rc)
		return rc;
	snprintf(f->name, sizeof(f->name), "%s", f->st.name);
	f->uid = f->st.uid;
	/* No Vm* lines: a kernel thread, or a zombie; no memory to lock. */
	if (!(f->st.have & PS_VMSIZE))
		return -EFAULT;
	rc = rlimit_get(procfd, pid, &f->lim);
	if (rc)
		return rc;
	/* A wrapper between the shell and memlock (prlimit) may have set
	 * memlock's limit: then raising the shell's changes nothing. */
	if (f->self && getppid() > 0)
		f->have_shell_lim = rlimit_get(procfd, getppid(), &f->shell_lim) == 0;
	f->have_caps = (f->self ? caps_self(procfd, &f->caps)
			: caps_of_pid(procfd, f->pid, &f->caps)) == 0;
	if (!f->have_caps)
		caps_from_masks(f->st.cap_eff, f->st.cap_prm, f->st.cap_bnd, &f->caps);
	if (procfs_count_maps(procfd, f->pid, &f->map_count) != 0)
		f->maps_unread = "maps";
	else if (procfs_read_sysctl(procfd, "sys/vm/max_map_count", &f->max_map_count) != 0)
		f->maps_unread = "sys/vm/max_map_count";
	f->have_maps = !f->maps_unread;
	shm_facts(procfd, f);
	memguard_read(procfd, f->pid, &f->mem);
	if (uname(&u) == 0)
		snprintf(f->kernel, sizeof(f->kernel), "%s", u.release);
	origin_facts(procfd, f);
	return 0;
}

static void check(struct diag_report *r, const char *name, enum diag_result res,
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

static void remedy(struct diag_report *r, const char *fmt, ...)
{
	va_list ap;

	if (r->nremedies >= DIAG_MAX_REMEDIES)
		return;
	va_start(ap, fmt);
	vsnprintf(r->remedies[r->nremedies++], sizeof(r->remedies[0]), fmt, ap);
	va_end(ap);
}

/* Rounds B up to whole pages, as the kernel counts. */
static uint64_t pages_of(const struct diag_facts *f, uint64_t b)
{
	return size_units(b, f->page_size);
}

/* Short names for sizes inside sentences (a few per sentence at most). */
static bool exact_sizes;	/* --bytes, or figures that rounding would blur */

static const char *sz(uint64_t v)
{
	static char ring[8][SIZE_BUFSZ];
	static int i;

	return limit_format(v, exact_sizes, ring[i++ % 8]);
}

/* Whether A and B, different, read the same as "8M"-style text. */
static bool blurred(uint64_t a, uint64_t b)
{
	char x[SIZE_BUFSZ], y[SIZE_BUFSZ];

	return a != b && strcmp(limit_format(a, false, x), limit_format(b, false, y)) == 0;
}

/* What the limit check counts before SIZE, for each mode. */
static uint64_t charged_now(const struct diag_facts *f, enum diag_mode m)
{
	switch (m) {
	case MODE_MLOCKALL: return f->st.vmsize;	/* total_vm, not RSS */
	case MODE_SHM: return f->shm_locked;		/* per user, not per process */
	default: return f->st.vmlck;			/* mm->locked_vm */
	}
}

static void check_caps(const struct diag_facts *f, struct diag_report *r)
{
	const struct cap_state *c = &f->caps;

	if (c->ipc_lock.effective && c->userns)
		check(r, "cap_ipc_lock", DIAG_WARN, "effective, but inside a user namespace other "
		      "than the initial one: the kernel ignores it for mlock()");
	else if (c->ipc_lock.effective)
		check(r, "cap_ipc_lock", DIAG_OK, "effective: RLIMIT_MEMLOCK does not apply");
	else if (c->ipc_lock.permitted)
		check(r, "cap_ipc_lock", DIAG_WARN, "permitted but not effective: the process "
		      "could raise it (cap_set_proc) and the limit would not apply");
	else
		check(r, "cap_ipc_lock", DIAG_INFO, "not held%s: RLIMIT_MEMLOCK applies",
		      c->ipc_lock.bounding ? "" : ", not even in the bounding set");
}

/* The rlimit checks of do_mlock()/do_mlockall()/user_shm_lock(). */
static void check_limit(const struct diag_facts *f, struct diag_report *r, bool can)
{
	uint64_t soft = f->lim.soft, hard = f->lim.hard, now = charged_now(f, r->mode);
	uint64_t asked = 0, held = 0;
	const char *what = r->mode == MODE_MLOCKALL ? "VmSize" :
			   r->mode == MODE_SHM ? "this user's SHM_LOCK segments" : "VmLck";

	/* In whole pages, as the kernel counts (mm/mlock.c, do_mlock(): len
	 * is PAGE_ALIGN()ed, then locked_vm added).  SIZE is below 2^63 and
	 * what is held is the kernel's, so this cannot wrap; if it did, the
	 * charge would be the largest figure, never a small one. */
	if (size_align_up(r->size, f->page_size, &asked) != 0 ||
	    size_align_up(now, f->page_size, &held) != 0 ||
	    size_add(held, asked, &r->charge) != 0)
		r->charge = UINT64_MAX;
	/* "VmLck 3M + 4K = 3M", "8M is over 8M": figures that rounding
	 * blurs are written in bytes, in this check. */
	if (blurred(now, r->charge) || blurred(r->charge, soft))
		exact_sizes = true;
	r->headroom_unlimited = can || soft == SIZE_UNLIMITED;
	r->headroom = soft > now ? (soft - now) / f->page_size * f->page_size : 0;
	if (!can && soft == 0) {
		check(r, "limit", DIAG_FAIL, "the soft RLIMIT_MEMLOCK is 0 and CAP_IPC_LOCK is not "
		      "effective: %s fails with EPERM", r->mode == MODE_SHM ?
		      "shmctl(SHM_LOCK)" : "any lock");
		r->err = -EPERM;
		r->limit_failed = true;
	} else if (can || soft == SIZE_UNLIMITED) {
		check(r, "limit", DIAG_OK, "soft %s, hard %s: %s", sz(soft), sz(hard),
		      can ? "not applied (CAP_IPC_LOCK)" : "unlimited");
	} else if (!r->has_size && r->headroom == 0) {
		check(r, "limit", DIAG_FAIL, "soft %s, hard %s; %s %s: nothing more can be "
		      "locked, any lock fails with ENOMEM", sz(soft), sz(hard), what, sz(now));
		r->err = -ENOMEM;
		r->limit_failed = true;
	} else if (!r->has_size) {
		check(r, "limit", DIAG_INFO, "soft %s, hard %s; %s %s: %s more can be locked",
		      sz(soft), sz(hard), what, sz(now), sz(r->headroom));
	} else if (pages_of(f, now) + pages_of(f, r->size) > soft / f->page_size) {
		check(r, "limit", DIAG_FAIL, "%s %s + %s = %s is over the soft RLIMIT_MEMLOCK %s: ENOMEM",
		      what, sz(now), sz(asked), sz(r->charge), sz(soft));
		r->err = -ENOMEM;
		r->limit_failed = true;
	} else {
		check(r, "limit", DIAG_OK, "%s %s + %s = %s is within the soft RLIMIT_MEMLOCK %s",
		      what, sz(now), sz(asked), sz(r->charge),
		      sz(soft));
	}
	if (!can && soft != hard && (r->err || !r->has_size))
		check(r, "hard_limit", DIAG_INFO, hard == SIZE_UNLIMITED || hard >= r->charge ?
		      "the hard limit %s leaves room: raising the soft limit needs no privilege" :
		      "the hard limit %s is too low too: raising it needs CAP_SYS_RESOURCE",
		      sz(hard));
}

static void check_mode(const struct diag_facts *f, struct diag_report *r)
{
	switch (r->mode) {
	case MODE_MLOCKALL:
		check(r, "mlockall", DIAG_INFO, "MCL_CURRENT charges the whole virtual size, "
		      "VmSize %s, not the resident %s", sz(f->st.vmsize), sz(f->st.vmrss));
		break;
	case MODE_ONFAULT:
		check(r, "onfault", DIAG_INFO, "MLOCK_ONFAULT charges the whole range at once; "
		      "only the faulting-in is deferred");
		break;
	case MODE_SHM:
		check(r, "shm", DIAG_INFO, "SHM_LOCK charges the user, not the process, and only "
		      "the segment's owner or creator may lock it without CAP_IPC_LOCK");
		break;
	default:
		break;
	}
}

static void check_maps(const struct diag_facts *f, struct diag_report *r)
{
	if (!f->have_maps && strcmp(f->maps_unread, "maps") == 0) {
		check(r, "map_count", DIAG_INFO, "could not read %s/%d/maps", PROCFS_ROOT, f->pid);
	} else if (!f->have_maps) {
		check(r, "map_count", DIAG_INFO, "%llu mappings; could not read %s/%s",
		      (unsigned long long)f->map_count, PROCFS_ROOT, f->maps_unread);
	} else if (f->map_count > f->max_map_count) {
		check(r, "map_count", DIAG_FAIL, "%llu mappings, over vm.max_map_count %llu: "
		      "a new mapping fails with ENOMEM", (unsigned long long)f->map_count,
		      (unsigned long long)f->max_map_count);
		if (!r->err)
			r->err = -ENOMEM;
	} else if (f->map_count == f->max_map_count) {
		check(r, "map_count", DIAG_WARN, "%llu mappings, at vm.max_map_count: a new "
		      "mapping still fits, but locking part of one fails with ENOMEM (a split "
		      "needs one more)", (unsigned long long)f->map_count);
	} else {
		check(r, "map_count", f->map_count + 2 >= f->max_map_count ? DIAG_WARN : DIAG_OK,
		      "%llu mappings of vm.max_map_count %llu (locking part of a mapping "
		      "splits it)", (unsigned long long)f->map_count,
		      (unsigned long long)f->max_map_count);
	}
}

static void check_shm(const struct diag_facts *f, struct diag_report *r)
{
	if (!f->have_shm) {
		/* SHM_LOCK is charged to these: without them, no answer. */
		check(r, "shm_locked", r->mode == MODE_SHM ? DIAG_WARN : DIAG_INFO,
		      "could not read %s/sysvipc/shm", PROCFS_ROOT);
		if (r->mode == MODE_SHM)
			r->shm_unknown = true;
		return;
	}
	if (f->shm_segs == 0)
		check(r, "shm_locked", DIAG_OK, "no System V segment of uid %u is locked", f->uid);
	else
		check(r, "shm_locked", f->shm_stale ? DIAG_WARN : DIAG_INFO,
		      "%llu segment%s of uid %u locked with SHM_LOCK, %s (never in VmLck)%s",
		      (unsigned long long)f->shm_segs, f->shm_segs == 1 ? "" : "s", f->uid,
		      sz(f->shm_locked), f->shm_stale ? "; some are attached by no process" : "");
}

static void check_cgroup(const struct diag_facts *f, struct diag_report *r, uint64_t need)
{
	const struct memcg *cg = &f->mem.cg;

	if (f->mem.cg_err) {
		check(r, "cgroup", r->has_size && need ? DIAG_WARN : DIAG_INFO,
		      "could not read %s: %s", f->mem.cg_bad, f->mem.cg_err == -ENOTSUP ?
		      "not a cgroup filesystem" : strerror(-f->mem.cg_err));
	} else if (cg->none) {
		check(r, "cgroup", DIAG_OK, "in no memory cgroup: no cgroup limit applies");
	} else if (!cg->limited) {
		check(r, "cgroup", DIAG_OK, "memory cgroup %s (v%d): no limit", cg->path,
		      cg->v1 ? 1 : 2);
	} else if (r->has_size && need > procfs_memcg_room(cg)) {
		/* Reclaim takes the page cache back first; what is left is
		 * fought over by the OOM killer (mm/memcontrol.c, try_charge). */
		check(r, "cgroup", DIAG_FAIL, "memory cgroup %s (v%d): %s used, %s of it "
		      "reclaimable cache, + %s is over its limit %s: reclaim, then the OOM "
		      "killer, or EAGAIN", cg->path, cg->v1 ? 1 : 2, sz(cg->usage),
		      sz(cg->reclaimable), sz(need), sz(cg->limit));
		if (!r->err) {
			r->err = -EAGAIN;
			r->oom = true;
		}
	} else {
		check(r, "cgroup", DIAG_OK, "memory cgroup %s (v%d): %s used (%s reclaimable "
		      "cache) of %s", cg->path, cg->v1 ? 1 : 2, sz(cg->usage),
		      sz(cg->reclaimable), sz(cg->limit));
	}
}

static void check_memory(const struct diag_facts *f, struct diag_report *r)
{
	const struct meminfo *mi = &f->mem.mi;
	uint64_t need = r->mode == MODE_ONFAULT ? 0 : r->size;

	check_cgroup(f, r, need);
	if (f->mem.mi_err) {
		check(r, "memory", r->has_size && need ? DIAG_WARN : DIAG_INFO,
		      "could not read MemAvailable in %s/meminfo: %s", PROCFS_ROOT,
		      f->mem.mi_err == -ENODATA ? "not there" : strerror(-f->mem.mi_err));
	} else if (r->has_size && (mi->have & MI_TOTAL) && need > mi->total) {
		check(r, "memory", DIAG_FAIL, "%s is more than all RAM, %s: EAGAIN", sz(need),
		      sz(mi->total));
		if (!r->err)
			r->err = -EAGAIN;
	} else if (r->has_size && need > mi->available) {
		check(r, "memory", DIAG_WARN, "%s is more than MemAvailable %s: the kernel must "
		      "reclaim or swap others out first", sz(need), sz(mi->available));
	} else {
		check(r, "memory", DIAG_OK, "MemAvailable %s", sz(mi->available));
	}
	/* Nothing else failed, and what decides the rest cannot be read:
	 * say so rather than "would succeed". */
	if (!r->err && memguard_check(&f->mem, r->has_size ? need : 1) == GUARD_UNKNOWN)
		r->unknown = true;
}

static void check_kernel(const struct diag_facts *f, struct diag_report *r)
{
	check(r, "kernel", DIAG_INFO, "%s: the default RLIMIT_MEMLOCK is 8M since 5.16 "
	      "(64K before); io_uring registered buffers count as pinned memory (VmPin)",
	      f->kernel);
}

static const char *call_name(enum diag_mode m)
{
	static const char *const names[] = { "mlock()", "mlock2(MLOCK_ONFAULT)",
					     "mlockall(MCL_CURRENT)", "shmctl(SHM_LOCK)" };
	return names[m];
}

/* "this process" for memlock itself, else "pid N (name)". */
static const char *who(const struct diag_facts *f)
{
	static char buf[96];

	if (f->self)
		snprintf(buf, sizeof(buf), "a process started from this shell");
	else
		snprintf(buf, sizeof(buf), "pid %d (%s)", f->pid, f->name);
	return buf;
}

/* KB as a unit file or memlock writes it: "1G", "64M", "1500K". */
static const char *kb_text(unsigned long long kb)
{
	static char buf[4][32];
	static int i;
	char *b = buf[i++ % 4];

	if (kb && kb % (1024 * 1024) == 0)
		snprintf(b, 32, "%lluG", kb / (1024 * 1024));
	else if (kb && kb % 1024 == 0)
		snprintf(b, 32, "%lluM", kb / 1024);
	else
		snprintf(b, 32, "%lluK", kb);
	return b;
}

static void remedy_container(const struct diag_facts *f, struct diag_report *r,
			     unsigned long long kb)
{
	if (strcmp(f->container, "user namespace") == 0)
		remedy(r, "the process runs in a user namespace: raise RLIMIT_MEMLOCK "
		       "before entering it (CAP_IPC_LOCK inside it does not count)");
	else if (strcmp(f->container, "kubernetes") == 0)
		remedy(r, "the limit comes from the container runtime: set "
		       "'LimitMEMLOCK=%s' (or infinity) on its unit "
		       "('systemctl edit containerd.service') and restart it", kb_text(kb));
	else
		remedy(r, "%s the container (%s): start it with '--ulimit memlock=%llu:%llu' "
		       "(compose: 'ulimits: memlock:'), or set LimitMEMLOCK= on the runtime's "
		       "unit (%s.service)", f->unit[0] ? "the hard limit is capped by" :
		       "the limit comes from", f->container, kb * 1024, kb * 1024,
		       f->container);
}

/* The permanent fix where the limit comes from. */
static void remedy_origin(const struct diag_facts *f, struct diag_report *r,
			  unsigned long long kb)
{
	struct passwd *pw;

	switch (f->origin) {
	case ORIGIN_SYSTEMD:
		remedy(r, "the limit comes from the systemd unit %s: run 'systemctl edit %s', "
		       "add '[Service]' and 'LimitMEMLOCK=%s' (or infinity), then "
		       "'systemctl restart %s'", f->unit, f->unit, kb_text(kb), f->unit);
		if (f->container[0])
			remedy_container(f, r, kb);
		break;
	case ORIGIN_CONTAINER:
		remedy_container(f, r, kb);
		break;
	case ORIGIN_SESSION:
		pw = getpwuid(f->uid);
		remedy(r, "the limit comes from the login session: add '%s soft memlock %llu' "
		       "and '%s hard memlock %llu' to /etc/security/limits.d/90-memlock.conf "
		       "(pam_limits), then log in again", pw ? pw->pw_name : "*", kb,
		       pw ? pw->pw_name : "*", kb);
		break;
	case ORIGIN_PROCESS:
		remedy(r, "have the program raise its own limit (setrlimit(RLIMIT_MEMLOCK)) "
		       "before it locks, or start it with 'memlock limit --set %s -- "
		       "PROGRAM'", kb_text(kb));
		break;
	}
}

static void remedy_limit(const struct diag_facts *f, struct diag_report *r)
{
	/* What the limit must allow: the charge, or without a SIZE what is
	 * held and one page more (a remedy that leaves the limit where it
	 * is would help nothing). */
	uint64_t need = r->has_size ? r->charge : r->charge + f->page_size;
	unsigned long long kb = (need + 1023) / 1024;
	bool wrapped = f->self && f->have_shell_lim &&
		       (f->shell_lim.soft != f->lim.soft || f->shell_lim.hard != f->lim.hard);
	/* Raising the soft limit to the hard one helps only when the hard
	 * one is higher, and high enough. */
	bool room = f->lim.hard > f->lim.soft &&
		    (f->lim.hard == SIZE_UNLIMITED || f->lim.hard >= need);

	if (r->mode == MODE_SHM && f->shm_stale)
		remedy(r, "remove the locked System V segments nobody uses: 'ipcrm -m %d' "
		       "(see 'ipcs -m')", f->shm_stale_id);
	if (wrapped)
		remedy(r, "the limit (soft %s, hard %s) was set between this shell (soft %s, "
		       "hard %s) and the program, by a wrapper such as prlimit: raise it "
		       "there, to %s, or start the program without it", sz(f->lim.soft),
		       sz(f->lim.hard), sz(f->shell_lim.soft), sz(f->shell_lim.hard),
		       kb_text(kb));
	if (room && f->self && !wrapped)
		remedy(r, "raise the soft limit to the hard one (%s), which needs no "
		       "privilege: 'memlock limit --raise' in this shell", sz(f->lim.hard));
	else if (room && !f->self)
		remedy(r, "raise its soft limit to the hard one (%s), which needs no "
		       "privilege as its own user: 'memlock limit -p %d --raise'",
		       sz(f->lim.hard), f->pid);
	/* The lasting fix where the limit is set, before the stopgap. */
	remedy_origin(f, r, kb);
	if (!room && !f->self)
		remedy(r, "until then, as root with CAP_SYS_RESOURCE, raise both limits of "
		       "the running process: 'memlock limit -p %d --set %s'", f->pid,
		       kb_text(kb));
	if (f->caps.ipc_lock.permitted && !f->caps.ipc_lock.effective && !f->caps.userns)
		remedy(r, "CAP_IPC_LOCK is already permitted: make it effective "
		       "(cap_set_proc(), or capsh --caps) and no limit applies");
	else if (!f->caps.userns)
		remedy(r, "or grant CAP_IPC_LOCK, which lifts the limit: 'setcap "
		       "cap_ipc_lock+ep PROGRAM', or AmbientCapabilities=CAP_IPC_LOCK in a unit");
	if (r->mode == MODE_MLOCKALL)
		remedy(r, "mlockall(MCL_CURRENT) charges all of VmSize (%s): lock only the "
		       "buffers that need it with mlock()", sz(f->st.vmsize));
}

/* The guard's input that could not be read, for sentences. */
static const char *unreadable(const struct diag_facts *f)
{
	static char buf[400];
	int e;

	return memguard_unreadable(&f->mem, buf, sizeof(buf), &e) ? buf : "?";
}

static void remedies(const struct diag_facts *f, struct diag_report *r)
{
	if (r->limit_failed) {
		remedy_limit(f, r);
	} else if (r->err == -ENOMEM) {
		remedy(r, "raise vm.max_map_count: 'sysctl -w vm.max_map_count=%llu', kept in "
		       "/etc/sysctl.d/ (or make fewer, larger mappings)",
		       (unsigned long long)f->max_map_count * 2);
	} else if (r->oom) {
		remedy(r, "raise the limit of memory cgroup %s (memory.%s; systemd: "
		       "MemoryMax=, docker: --memory)", f->mem.cg.path, f->mem.cg.v1 ?
		       "limit_in_bytes" : "max");
	} else if (r->err == -EAGAIN) {
		remedy(r, "lock less, or free memory first: the machine has %s in all",
		       sz(f->mem.mi.total));
	} else if (r->unknown) {
		remedy(r, "let memlock read %s (a procfs mounted with subset=pid, or a "
		       "cgroup filesystem hidden, hides it), or run doctor where it can",
		       r->shm_unknown ? PROCFS_ROOT "/sysvipc/shm" : unreadable(f));
	}
}

static void verdict(const struct diag_facts *f, struct diag_report *r)
{
	const char *why = "";

	for (int i = 0; i < r->nchecks; i++)
		if (r->checks[i].result == DIAG_FAIL) {
			why = r->checks[i].detail;
			break;
		}
	if (r->err && !r->has_size && r->limit_failed)
		snprintf(r->verdict, sizeof(r->verdict), "headroom: %s more can be locked in %s: "
			 "%s returns %s", sz(r->headroom), who(f), call_name(r->mode),
			 diag_errno_name(r->err));
	else if (r->oom)
		snprintf(r->verdict, sizeof(r->verdict), "would fail: the memory cgroup's OOM "
			 "killer ends %s during %s (or it returns EAGAIN): %s", who(f),
			 call_name(r->mode), why);
	else if (r->err)
		snprintf(r->verdict, sizeof(r->verdict), "would fail: %s returns %s in %s: %s",
			 call_name(r->mode), diag_errno_name(r->err), who(f), why);
	else if (r->shm_unknown)
		snprintf(r->verdict, sizeof(r->verdict), "could not tell: %s is charged with "
			 "the user's locked segments, and %s/sysvipc/shm, which lists them, "
			 "cannot be read", call_name(r->mode), PROCFS_ROOT);
	else if (r->unknown)
		snprintf(r->verdict, sizeof(r->verdict), "could not tell: the limit allows %s, "
			 "but whether %s fits in memory depends on %s, which cannot be read",
			 who(f), r->has_size ? sz(r->size) : "more", unreadable(f));
	else if (r->has_size)
		snprintf(r->verdict, sizeof(r->verdict), "would succeed: %s of %s in %s "
			 "returns 0", call_name(r->mode), sz(r->size), who(f));
	else if (r->headroom_unlimited)
		snprintf(r->verdict, sizeof(r->verdict), "headroom: no limit applies to %s "
			 "(%s); memory is the bound", who(f), f->lim.soft == SIZE_UNLIMITED ?
			 "RLIMIT_MEMLOCK is unlimited" : "CAP_IPC_LOCK");
	else
		snprintf(r->verdict, sizeof(r->verdict), "headroom: %s more can be locked in %s",
			 sz(r->headroom), who(f));
}

void diag_evaluate(const struct diag_facts *f, enum diag_mode mode, bool has_size,
		   uint64_t size, bool exact, struct diag_report *r)
{
	exact_sizes = exact;
	bool can = caps_can_lock(&f->caps);

	memset(r, 0, sizeof(*r));
	r->mode = mode;
	r->has_size = has_size;
	r->size = has_size ? size : 0;
	/* In the kernel's order: can_do_mlock() (EPERM), the limit (ENOMEM),
	 * splitting the mapping (ENOMEM), faulting in (EAGAIN). */
	check_limit(f, r, can);
	exact_sizes = exact;
	check_caps(f, r);
	check_mode(f, r);
	check_maps(f, r);
	check_shm(f, r);
	check_memory(f, r);
	check_kernel(f, r);
	if (r->shm_unknown && !r->err)
		r->unknown = true;
	verdict(f, r);
	remedies(f, r);
}

const char *diag_mode_name(enum diag_mode m)
{
	static const char *const names[] = { "mlock", "onfault", "mlockall", "shm" };
	return names[m];
}

const char *diag_result_name(enum diag_result r)
{
	static const char *const names[] = { "ok", "info", "warn", "fail" };
	return names[r];
}

const char *diag_errno_name(int err)
{
	const char *n = err ? strerrorname_np(-err) : "0";

	return n ? n : "?";
}

/*
 * mlockall(MCL_CURRENT) passes when total_vm <= the limit.  The child has its
 * own size C and must answer for the target's T plus SIZE: below that it
 * grows, with address space that costs nothing (PROT_NONE); above it, it
 * takes the limit L + (C - T - SIZE) instead, for C <= L + C - T - SIZE
 * exactly when T + SIZE <= L.  The real call still decides.
 */
static int probe_mlockall(const struct diag_facts *f, uint64_t size)
{
	struct proc_status st;
	struct rlimit rl;
	int procfd = procfs_open(PROCFS_ROOT);
	uint64_t want = pages_of(f, f->st.vmsize + size) * f->page_size, mine;

	if (procfd < 0 || procfs_read_status(procfd, getpid(), &st) != 0)
		return -5000 - EIO;
	close(procfd);
	mine = pages_of(f, st.vmsize) * f->page_size;
	if (want > mine) {
		if (mmap(NULL, want - mine, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS |
			 MAP_NORESERVE, -1, 0) == MAP_FAILED)
			return -5000 - errno;
	} else if (f->lim.soft != SIZE_UNLIMITED && !caps_can_lock(&f->caps)) {
		getrlimit(RLIMIT_MEMLOCK, &rl);
		rl.rlim_cur = f->lim.soft + (mine - want);
		if (rl.rlim_max < rl.rlim_cur)
			rl.rlim_max = rl.rlim_cur;
		if (setrlimit(RLIMIT_MEMLOCK, &rl) != 0)
			return -7000 - errno;
	}
	return sys_mlockall(MCL_CURRENT | MCL_ONFAULT) == 0 ? 0 : errno;
}

/* In the probe's child: become like F, then try. Returns the errno, or a
 * negative code when the child could not become like F. */
static int probe_child(const struct diag_facts *f, enum diag_mode mode, uint64_t size)
{
	struct rlimit rl;
	uint64_t now = charged_now(f, mode);
	bool onfault = mode == MODE_ONFAULT ||
		       (mode == MODE_MLOCK && f->mem.mi_err == 0 && size > f->mem.mi.available / 4);
	void *p;

	getrlimit(RLIMIT_MEMLOCK, &rl);
	rl.rlim_cur = f->lim.soft;
	if (rl.rlim_max < rl.rlim_cur)
		rl.rlim_max = rl.rlim_cur;
	if (setrlimit(RLIMIT_MEMLOCK, &rl) != 0)
		return -1000 - errno;
	if (!caps_can_lock(&f->caps) && caps_drop_ipc_lock() != 0)
		return -2000 - errno;
	if (mode == MODE_SHM) {
		int id = shmget(IPC_PRIVATE, size ? size : 1, IPC_CREAT | 0600), e = 0;

		if (id < 0)
			return -3000 - errno;
		if (shmctl(id, SHM_LOCK, NULL) != 0)
			e = errno;
		shmctl(id, IPC_RMID, NULL);
		return e;
	}
	if (mode == MODE_MLOCKALL)
		return probe_mlockall(f, size);
	/* What the target has already locked, locked here too (on fault: no
	 * RAM), so that the limit sees the same sum. */
	if (now) {
		p = mmap(NULL, now, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS |
			 MAP_NORESERVE, -1, 0);
		if (p == MAP_FAILED || sys_mlock2(p, now, MLOCK_ONFAULT) != 0)
			return -4000 - errno;
	}
	p = mmap(NULL, size ? size : 1, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (p == MAP_FAILED)
		return errno;
	if (onfault)
		return sys_mlock2(p, size, MLOCK_ONFAULT) == 0 ? 0 : errno;
	return sys_mlock(p, size) == 0 ? 0 : errno;
}

static const char *probe_stage(int code)
{
	switch (-code / 1000) {
	case 1: return "could not give the probe the target's soft limit";
	case 2: return "could not drop CAP_IPC_LOCK in the probe";
	case 3: return "could not create a System V segment";
	case 4: return "could not lock the target's current VmLck in the probe";
	case 7: return "could not give the probe the limit that stands for the target's "
		       "(its own address space is larger, and that needs CAP_SYS_RESOURCE)";
	default: return "could not grow the probe to the target's VmSize";
	}
}

bool diag_probe_agrees(const struct diag_report *r, const struct diag_probe_result *p)
{
	if (p->signo)
		return p->signo == SIGKILL && r->oom;
	return p->err == r->err;
}

int diag_probe(const struct diag_facts *f, enum diag_mode mode, uint64_t size,
	       struct diag_probe_result *res)
{
	char *why = res->why;
	size_t whylen = sizeof(res->why);
	struct cap_state me;
	struct rlimit rl;
	int fds[2], code = 0, status = 0;
	ssize_t got;
	pid_t child;

	getrlimit(RLIMIT_MEMLOCK, &rl);
	if (caps_self(-1, &me) != 0)
		me.ipc_lock.effective = false;
	if (caps_can_lock(&f->caps) && !caps_can_lock(&me)) {
		snprintf(why, whylen, "memlock lacks the CAP_IPC_LOCK that %s has", who(f));
		return -EPERM;
	}
	if (!caps_can_lock(&f->caps) && f->lim.soft > rl.rlim_max &&
	    !me.sys_resource.effective) {
		snprintf(why, whylen, "the soft limit of %s (%s) is above memlock's hard "
			 "limit, and raising it needs CAP_SYS_RESOURCE", who(f), sz(f->lim.soft));
		return -EPERM;
	}
	if (mode == MODE_SHM && f->uid != getuid()) {
		snprintf(why, whylen, "SHM_LOCK is charged per user, and %s is another user", who(f));
		return -EPERM;
	}
	if (pipe2(fds, O_CLOEXEC) != 0)
		return -errno;
	child = fork();
	if (child < 0) {
		close(fds[0]);
		close(fds[1]);
		return -errno;
	}
	if (child == 0) {
		code = probe_child(f, mode, size);
		if (write(fds[1], &code, sizeof(code)) != sizeof(code))
			_exit(1);
		_exit(0);
	}
	close(fds[1]);
	res->err = res->signo = 0;
	got = read(fds[0], &code, sizeof(code));
	close(fds[0]);
	while (waitpid(child, &status, 0) < 0 && errno == EINTR)
		;
	/* No answer: the wait status says what happened to it. */
	if (got != (ssize_t)sizeof(code) && WIFSIGNALED(status)) {
		res->signo = WTERMSIG(status);
		return 0;
	}
	if (got != (ssize_t)sizeof(code)) {
		snprintf(why, whylen, "the probe exited with status %d without an answer",
			 WIFEXITED(status) ? WEXITSTATUS(status) : -1);
		return -EIO;
	}
	if (code < 0) {
		snprintf(why, whylen, "%s: %s", probe_stage(code), strerror(-code % 1000));
		return -EPERM;
	}
	res->err = -code;
	return 0;
}
