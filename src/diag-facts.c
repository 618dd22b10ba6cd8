/*
 * doctor's gathering: the target's limits, capabilities, counters and
 * memory, and the per-user counters the kernel keeps but shows in no single
 * file.  Everything is read through PROCFD, so a fixture tree can stand in.
 */
#define _GNU_SOURCE
#include "diag-internal.h"
#include "child.h"
#include "procscan.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/nsfs.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

/* The inode of /proc/PID/ns/NAME (PID 0: memlock), or 0. */
static uint64_t ns_ino(int procfd, int pid, const char *name)
{
	char path[64];
	struct stat st;

	if (pid)
		snprintf(path, sizeof(path), "%d/ns/%s", pid, name);
	else
		snprintf(path, sizeof(path), "self/ns/%s", name);
	return fstatat(procfd, path, &st, 0) == 0 ? (uint64_t)st.st_ino : 0;
}

/* In the child: joins the IPC namespace NSFD and writes what its
 * /proc/sysvipc/shm lists to FD. */
struct shm_in_ns {
	int procfd, nsfd;
};

static int shm_child(void *arg, int fd)
{
	const struct shm_in_ns *a = arg;
	char *b;
	size_t n;

	if (setns(a->nsfd, CLONE_NEWIPC) != 0 ||
	    procfs_read_file(a->procfd, "sysvipc/shm", &b, &n) != 0)
		return 1;
	for (size_t off = 0; off < n;) {
		ssize_t w = write(fd, b + off, n - off);

		if (w <= 0)
			return 1;
		off += (size_t)w;
	}
	return 0;
}

/*
 * /proc/sysvipc/shm lists the IPC namespace of whoever opens it
 * (ipc/util.c sysvipc_proc_open()).  For a target in another one, a child
 * joins it (root only) and passes the text back.
 */
static int read_shm_of(int procfd, int pid, bool other_ns, char **buf)
{
	struct shm_in_ns a = { .procfd = procfd };
	char path[64];
	size_t len;
	int status, rc;

	if (!other_ns)
		return procfs_read_file(procfd, "sysvipc/shm", buf, NULL);
	snprintf(path, sizeof(path), "%d/ns/ipc", pid);
	a.nsfd = openat(procfd, path, O_RDONLY | O_CLOEXEC);
	if (a.nsfd < 0)
		return -errno;
	rc = child_run(shm_child, &a, buf, &len, &status);
	close(a.nsfd);
	if (!rc && (!WIFEXITED(status) || WEXITSTATUS(status) != 0)) {
		free(*buf);
		rc = -EPERM;
	}
	return rc;
}

static bool pid_alive(int procfd, int pid)
{
	char path[32];
	struct stat st;

	snprintf(path, sizeof(path), "%d", pid);
	return pid > 0 && fstatat(procfd, path, &st, 0) == 0;
}

static void shm_facts(int procfd, struct diag_facts *f)
{
	struct diag_user *u = &f->user;
	struct shm_seg *segs;
	char *text;
	size_t n;

	u->shm_stale_id = -1;
	u->shm_other_ns = procfd >= 0 && ns_ino(procfd, f->pid, "ipc") !=
			  ns_ino(procfd, 0, "ipc");
	if (read_shm_of(procfd, f->pid, u->shm_other_ns, &text) != 0)
		return;
	if (procfs_parse_shm(text, &segs, &n) != 0) {
		free(text);
		return;
	}
	free(text);
	u->have_shm = true;
	for (size_t i = 0; i < n; i++) {
		/* The kernel charges the user who locked (ucounts of the
		 * caller of shmctl); /proc shows owner and creator, the only
		 * users allowed to lock without CAP_IPC_LOCK. */
		if (!(segs[i].perms & SHM_LOCKED_BIT) ||
		    (segs[i].uid != f->uid && segs[i].cuid != f->uid))
			continue;
		/* Charged in whole pages (mm/mlock.c user_shm_lock()). */
		u->shm_locked += (segs[i].size + f->page_size - 1) / f->page_size * f->page_size;
		u->shm_segs++;
		/* Attached by nobody, and its creator gone: nobody uses it.
		 * A live creator may hold it without attaching. */
		if (segs[i].nattch == 0 && !pid_alive(procfd, segs[i].cpid)) {
			u->shm_stale++;
			u->shm_stale_bytes += segs[i].size;
			u->shm_stale_id = segs[i].shmid;
		}
	}
	free(segs);
}

/* Every io_uring instance of every process of F's user, and their perf
 * rings: charged to the user_struct, which no file shows. */
static unsigned want_user(const struct scan_entry *e, void *arg)
{
	const struct diag_facts *f = arg;

	return !e->err && (e->st.have & PS_UID) && e->st.uid == f->uid &&
	       (e->st.have & PS_VMSIZE) ? SCAN_KEEP | SCAN_URING | SCAN_PERF : 0;
}

static void uring_facts(int procfd, struct diag_facts *f)
{
	struct diag_user *u = &f->user;
	struct scan s;

	if (procscan(procfd, NULL, 0, want_user, f, &s) != 0)
		return;
	u->have_uring = true;
	for (size_t i = 0; i < s.n; i++) {
		const struct scan_entry *e = &s.e[i];

		u->uring_procs++;
		u->perf_locked += e->perf_bytes;
		if (scan_uring_uncharged(e) && e->pid != f->pid)
			continue;
		u->uring_rings += e->uring.rings;
		if (e->pid == f->pid)
			u->uring_target_rings += e->uring.rings;
		u->uring_bufs += e->uring.bufs;
		u->uring_ring_bytes += e->uring.ring_bytes;
		u->uring_hidden += e->uring.hidden;
	}
	procscan_free(&s);
}

/* CAP_IPC_LOCK as shmctl_do_lock() asks: ns_capable() in the user
 * namespace that owns the target's IPC namespace. */
static bool ipcns_capable(int procfd, const struct diag_facts *f)
{
	char path[64];
	struct stat st;
	int nsfd, owner;
	bool same = false;

	if (!f->caps.ipc_lock.effective)
		return false;
	if (!f->caps.userns)
		return true;	/* the initial namespace is everyone's ancestor */
	snprintf(path, sizeof(path), "%d/ns/ipc", f->pid);
	nsfd = openat(procfd, path, O_RDONLY | O_CLOEXEC);
	if (nsfd < 0)
		return false;
	owner = ioctl(nsfd, NS_GET_USERNS);
	close(nsfd);
	if (owner >= 0 && fstat(owner, &st) == 0)
		same = (uint64_t)st.st_ino == ns_ino(procfd, f->pid, "user");
	if (owner >= 0)
		close(owner);
	return same;
}

/* vm.hugetlb_shm_group, and whether F is in it (fs/hugetlbfs/inode.c
 * can_do_hugetlb_shm(): in_group_p() checks the fsgid and the groups). */
static void hugetlb_facts(int procfd, struct diag_facts *f)
{
	char path[64], *text;

	if (procfs_read_sysctl(procfd, "sys/vm/hugetlb_shm_group", &f->hugetlb_group) != 0)
		return;
	snprintf(path, sizeof(path), "%d/status", f->pid);
	if (procfs_read_file(procfd, path, &text, NULL) != 0)
		return;
	f->have_hugetlb = true;
	for (const char *l = text; l && *l; l = strchr(l, '\n'), l = l ? l + 1 : NULL) {
		unsigned long long v[4];
		const char *p;

		if (sscanf(l, "Gid: %llu %llu %llu %llu", &v[0], &v[1], &v[2], &v[3]) == 4 &&
		    v[3] == f->hugetlb_group)
			f->in_hugetlb_group = true;
		if (strncmp(l, "Groups:", 7) != 0)
			continue;
		for (p = l + 7; *p && *p != '\n';) {
			char *end;
			unsigned long long g = strtoull(p, &end, 10);

			if (end == p)
				break;
			if (g == f->hugetlb_group)
				f->in_hugetlb_group = true;
			p = end;
		}
	}
	free(text);
}

static void kernel_facts(int procfd, struct diag_facts *f)
{
	struct utsname u;

	if (uname(&u) == 0) {
		snprintf(f->kernel, sizeof(f->kernel), "%s", u.release);
		if (sscanf(u.release, "%d.%d", &f->kmajor, &f->kminor) != 2)
			f->kmajor = f->kminor = 0;
	}
	f->ncpus = sysconf(_SC_NPROCESSORS_ONLN);
	if (procfs_read_sysctl(procfd, "sys/kernel/perf_event_mlock_kb", &f->perf_mlock_kb) == 0) {
		char *text;

		/* perf_event_paranoid may be negative: read as text. */
		if (procfs_read_file(procfd, "sys/kernel/perf_event_paranoid", &text, NULL) == 0) {
			long long p;

			if (sscanf(text, "%lld", &p) == 1) {
				f->perf_paranoid = p;
				f->have_perf = true;
			}
			free(text);
		}
	}
	f->have_overcommit = procfs_read_sysctl(procfd, "sys/vm/overcommit_memory",
						&f->overcommit) == 0;
}

int diag_gather(int procfd, int pid, struct diag_facts *f)
{
	struct diag_roots roots = { .procfd = procfd, .etc = "/etc", .cgroup = SYSFS_CGROUP };

	return diag_gather_at(&roots, pid, f);
}

int diag_gather_at(const struct diag_roots *roots, int pid, struct diag_facts *f)
{
	int procfd = roots->procfd, rc;

	memset(f, 0, sizeof(*f));
	f->self = pid == 0 && !roots->fixture;
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
	if (roots->fixture) {
		rc = procfs_read_limits(procfd, f->pid, &f->lim.soft, &f->lim.hard);
		f->lim.source = RL_PROCFS;
	} else {
		rc = rlimit_get(procfd, pid, &f->lim);
	}
	if (rc)
		return rc;
	if (!roots->fixture)
		f->have_caps = (f->self ? caps_self(procfd, &f->caps)
				: caps_of_pid(procfd, f->pid, &f->caps)) == 0;
	if (!f->have_caps)
		caps_from_masks(f->st.cap_eff, f->st.cap_prm, f->st.cap_bnd, &f->caps);
	f->ipcns_cap = ipcns_capable(procfd, f);
	if (procfs_count_maps(procfd, f->pid, &f->map_count) != 0)
		f->maps_unread = "maps";
	else if (procfs_read_sysctl(procfd, "sys/vm/max_map_count", &f->max_map_count) != 0)
		f->maps_unread = "sys/vm/max_map_count";
	f->have_maps = !f->maps_unread;
	shm_facts(procfd, f);
	uring_facts(procfd, f);
	memguard_read_at(procfd, roots->cgroup ? roots->cgroup : SYSFS_CGROUP, !roots->fixture,
			 f->pid, &f->mem);
	kernel_facts(procfd, f);
	hugetlb_facts(procfd, f);
	diag_provenance(roots, f->pid, f);
	return 0;
}
