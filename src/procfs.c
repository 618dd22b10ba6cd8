/* /proc readers and parsers.  Numbers go through size.c's number_scan(). */
#define _GNU_SOURCE
#include "procfs.h"
#include "size.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <linux/magic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/vfs.h>
#include <unistd.h>

int procfs_open(const char *root)
{
	int fd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	return fd < 0 ? -errno : fd;
}

int procfs_open_system(unsigned long *fstype)
{
	struct statfs sf;
	int fd = procfs_open(PROCFS_ROOT);

	if (fd < 0)
		return fd;
	if (fstatfs(fd, &sf) != 0) {
		int e = errno;

		close(fd);
		return -e;
	}
	*fstype = (unsigned long)sf.f_type;
	if (sf.f_type != PROC_SUPER_MAGIC) {
		close(fd);
		return -ENOTSUP;
	}
	return fd;
}

int procfs_parse_hidepid(const char *buf)
{
	static const struct { const char *word; int level; } words[] = {
		{ "0", 0 }, { "off", 0 }, { "1", 1 }, { "noaccess", 1 },
		{ "2", 2 }, { "invisible", 2 }, { "4", 4 }, { "ptraceable", 4 },
	};
	int level = 0;

	/* "ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTS ... - TYPE SOURCE SUPEROPTS";
	 * the last procfs mounted there is the one in sight. */
	for (const char *l = buf; l && *l; l = strchr(l, '\n'), l = l ? l + 1 : NULL) {
		const char *p = l, *sep, *opt;
		size_t n = strcspn(l, "\n");

		for (int f = 0; f < 4 && p < l + n; f++)
			p += strcspn(p, " \n") + 1;
		if (p >= l + n || strncmp(p, PROCFS_ROOT " ", strlen(PROCFS_ROOT) + 1) != 0)
			continue;
		sep = strstr(p, " - proc ");
		if (!sep || sep > l + n)
			continue;
		level = 0;
		opt = strstr(sep, "hidepid=");
		if (!opt || opt > l + n)
			continue;
		opt += 8;
		for (size_t w = 0; w < sizeof(words) / sizeof(words[0]); w++)
			if (strncmp(opt, words[w].word, strlen(words[w].word)) == 0 &&
			    strchr(", \n", opt[strlen(words[w].word)]))
				level = words[w].level;
	}
	return level;
}

int procfs_hidepid(int procfd)
{
	char *buf;
	int rc = procfs_read_file(procfd, "self/mountinfo", &buf, NULL);

	if (rc)
		return rc;
	rc = procfs_parse_hidepid(buf);
	free(buf);
	return rc;
}

const char *procfs_fs_name(unsigned long magic)
{
	static const struct { unsigned long magic; const char *name; } names[] = {
		{ TMPFS_MAGIC, "tmpfs" }, { EXT4_SUPER_MAGIC, "ext4" },
		{ OVERLAYFS_SUPER_MAGIC, "overlay" }, { SYSFS_MAGIC, "sysfs" },
		{ BTRFS_SUPER_MAGIC, "btrfs" }, { XFS_SUPER_MAGIC, "xfs" },
		{ CGROUP_SUPER_MAGIC, "cgroup" }, { CGROUP2_SUPER_MAGIC, "cgroup2" },
		{ RAMFS_MAGIC, "ramfs" }, { PROC_SUPER_MAGIC, "proc" },
	};

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (names[i].magic == magic)
			return names[i].name;
	return NULL;
}

int procfs_read_fd(int fd, char **buf, size_t *len)
{
	size_t cap = 4096, n = 0;
	char *b = malloc(cap), *nb;

	if (!b)
		return -ENOMEM;
	for (;;) {
		ssize_t r;

		if (cap - n < 2) {
			nb = realloc(b, cap *= 2);
			if (!nb)
				break;
			b = nb;
		}
		r = read(fd, b + n, cap - n - 1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			int e = r < 0 ? errno : 0;

			if (e) {
				free(b);
				return -e;
			}
			b[n] = '\0';
			*buf = b;
			if (len)
				*len = n;
			return 0;
		}
		n += (size_t)r;
	}
	free(b);
	return -ENOMEM;
}

int procfs_read_file(int procfd, const char *path, char **buf, size_t *len)
{
	int fd = openat(procfd, path, O_RDONLY | O_CLOEXEC), rc;

	if (fd < 0)
		return -errno;
	rc = procfs_read_fd(fd, buf, len);
	close(fd);
	return rc;
}

/* Reads "PID/FILE" below PROCFD; a process that is gone is -ESRCH. */
static int read_pid_file(int procfd, int pid, const char *file, char **buf)
{
	char path[64];
	int rc;

	snprintf(path, sizeof(path), "%d/%s", pid, file);
	rc = procfs_read_file(procfd, path, buf, NULL);
	return rc == -ENOENT ? -ESRCH : rc;
}

int procfs_list_pids(int procfd, int **pids, size_t *n)
{
	int dfd = dup(procfd), *v = NULL, *nv;
	size_t cap = 0;
	DIR *d;
	struct dirent *e;

	*n = 0;
	if (dfd < 0)
		return -errno;
	d = fdopendir(dfd);
	if (!d) {
		close(dfd);
		return -errno;
	}
	rewinddir(d);
	while ((e = readdir(d))) {
		uint64_t pid;

		if (number_parse(e->d_name, 1, INT32_MAX, &pid) != 0)
			continue;
		if (*n == cap) {
			cap = cap ? cap * 2 : 512;
			nv = realloc(v, cap * sizeof(*v));
			if (!nv) {
				free(v);
				closedir(d);
				return -ENOMEM;
			}
			v = nv;
		}
		v[(*n)++] = (int)pid;
	}
	closedir(d);
	*pids = v;
	return 0;
}

/* The value after "Key:" at the start of a line, or NULL. */
static const char *field(const char *line, const char *key, size_t keylen)
{
	if (strncmp(line, key, keylen) != 0)
		return NULL;
	line += keylen;
	while (*line == ' ' || *line == '\t')
		line++;
	return line;
}

/* "   123 kB" into bytes. */
static int kb_scan(const char *p, uint64_t *bytes)
{
	uint64_t kb;

	if (!p || number_scan(&p, 10, &kb) != 0)
		return -EINVAL;
	if (strncmp(p, " kB", 3) != 0 || kb > UINT64_MAX / 1024)
		return -EINVAL;
	*bytes = kb * 1024;
	return 0;
}

static int hex_scan(const char *p, uint64_t *v)
{
	return p && number_scan(&p, 16, v) == 0 ? 0 : -EINVAL;
}

/* Undoes the escapes the kernel puts in Name: (\n, \t, \\, \e, ...). */
static void name_unescape(const char *p, char *out, size_t size)
{
	static const char from[] = "ntrfvae\\\"", to[] = "\n\t\r\f\v\a\033\\\"";
	size_t o = 0;

	while (*p && *p != '\n' && o + 1 < size) {
		const char *k;

		if (p[0] == '\\' && p[1] && (k = strchr(from, p[1]))) {
			out[o++] = to[k - from];
			p += 2;
		} else {
			out[o++] = *p++;
		}
	}
	out[o] = '\0';
}

/* The lines of /proc/PID/status that are read, by key: one table, found
 * by the key's first letter, not a chain of compares a line. */
enum st_key { K_NAME, K_UID, K_PPID, K_VMLCK, K_VMPIN, K_VMSIZE, K_VMRSS, K_CAPPRM, K_CAPEFF,
	      K_CAPBND };

static const struct {
	const char *key;
	unsigned char len;
	unsigned char id;
} st_keys[] = {
	{ "CapPrm:", 7, K_CAPPRM }, { "CapEff:", 7, K_CAPEFF }, { "CapBnd:", 7, K_CAPBND },
	{ "Name:", 5, K_NAME }, { "PPid:", 5, K_PPID }, { "Uid:", 4, K_UID },
	{ "VmLck:", 6, K_VMLCK }, { "VmPin:", 6, K_VMPIN }, { "VmSize:", 7, K_VMSIZE },
	{ "VmRSS:", 6, K_VMRSS },
};

/* The key of line L, or -1: only lines beginning with C, N, P, U or V can
 * be one. */
static int st_key(const char *l)
{
	for (size_t i = 0; i < sizeof(st_keys) / sizeof(st_keys[0]); i++)
		if (st_keys[i].key[0] == l[0] &&
		    strncmp(l, st_keys[i].key, st_keys[i].len) == 0)
			return (int)i;
	return -1;
}

/* One line of /proc/PID/status into ST. */
static void status_line(const char *l, struct proc_status *st)
{
	const char *v;
	uint64_t a, b;
	int k;

	if (!strchr("CNPUV", l[0]) || (k = st_key(l)) < 0)
		return;
	v = l + st_keys[k].len;
	while (*v == ' ' || *v == '\t')
		v++;
	switch (st_keys[k].id) {
	case K_NAME:
		name_unescape(v, st->name, sizeof(st->name));
		st->have |= PS_NAME;
		break;
	case K_UID:
		if (number_scan(&v, 10, &a) == 0 && (*v == '\t' || *v == ' ')) {
			while (*v == '\t' || *v == ' ')
				v++;
			if (number_scan(&v, 10, &b) == 0 && a <= UINT32_MAX &&
			    b <= UINT32_MAX) {
				st->uid = (uint32_t)a;
				st->euid = (uint32_t)b;
				st->have |= PS_UID;
			}
		}
		break;
	case K_PPID:
		if (number_scan(&v, 10, &a) == 0 && a <= INT32_MAX) {
			st->ppid = (int)a;
			st->have |= PS_PPID;
		}
		break;
	case K_VMLCK:
		if (kb_scan(v, &st->vmlck) == 0)
			st->have |= PS_VMLCK;
		break;
	case K_VMPIN:
		if (kb_scan(v, &st->vmpin) == 0)
			st->have |= PS_VMPIN;
		break;
	case K_VMSIZE:
		if (kb_scan(v, &st->vmsize) == 0)
			st->have |= PS_VMSIZE;
		break;
	case K_VMRSS:
		if (kb_scan(v, &st->vmrss) == 0)
			st->have |= PS_VMRSS;
		break;
	case K_CAPPRM:
		hex_scan(v, &st->cap_prm);
		break;
	case K_CAPEFF:
		if (hex_scan(v, &st->cap_eff) == 0)
			st->have |= PS_CAPS;
		break;
	case K_CAPBND:
		hex_scan(v, &st->cap_bnd);
		break;
	}
}

int procfs_parse_status(const char *buf, struct proc_status *st)
{
	memset(st, 0, sizeof(*st));
	for (const char *l = buf; l && *l; l = strchr(l, '\n'), l = l ? l + 1 : NULL)
		status_line(l, st);
	/* A kernel thread or a zombie has no Vm* lines: it has locked nothing. */
	return (st->have & (PS_NAME | PS_UID)) == (PS_NAME | PS_UID) ? 0 : -EINVAL;
}

/*
 * /proc/PID/status in one read into a buffer on the stack (it is ~1.5K),
 * no allocation: a scan reads thousands.  A longer one (a kernel that
 * writes more) takes the general path.
 */
int procfs_read_status(int procfd, int pid, struct proc_status *st)
{
	char path[32], small[8192], *buf;
	ssize_t n = 0, r;
	int fd, rc;

	snprintf(path, sizeof(path), "%d/status", pid);
	fd = openat(procfd, path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? -ESRCH : -errno;
	do {
		r = read(fd, small + n, sizeof(small) - 1 - (size_t)n);
		if (r > 0)
			n += r;
	} while ((r > 0 && (size_t)n < sizeof(small) - 1) || (r < 0 && errno == EINTR));
	rc = r < 0 ? -errno : 0;
	close(fd);
	if (rc)
		return rc == -ENOENT ? -ESRCH : rc;
	if ((size_t)n < sizeof(small) - 1) {
		small[n] = '\0';
		return procfs_parse_status(small, st);
	}
	rc = read_pid_file(procfd, pid, "status", &buf);
	if (rc)
		return rc;
	rc = procfs_parse_status(buf, st);
	free(buf);
	return rc;
}

/* A limit as /proc/PID/limits writes it: a number or "unlimited". */
static int limit_scan(const char **p, uint64_t *v)
{
	while (**p == ' ')
		(*p)++;
	if (strncmp(*p, "unlimited", 9) == 0) {
		*p += 9;
		*v = SIZE_UNLIMITED;
		return 0;
	}
	return number_scan(p, 10, v);
}

int procfs_parse_limits(const char *buf, uint64_t *soft, uint64_t *hard)
{
	const char *l = buf;

	while (l && *l) {
		const char *v = field(l, "Max locked memory", 17);

		if (v) {
			if (limit_scan(&v, soft) != 0 || limit_scan(&v, hard) != 0)
				return -EINVAL;
			return 0;
		}
		l = strchr(l, '\n');
		l = l ? l + 1 : NULL;
	}
	return -EINVAL;
}

int procfs_read_limits(int procfd, int pid, uint64_t *soft, uint64_t *hard)
{
	char *buf;
	int rc = read_pid_file(procfd, pid, "limits", &buf);

	if (rc)
		return rc;
	rc = procfs_parse_limits(buf, soft, hard);
	free(buf);
	return rc;
}

/*
 * The kernel writes a newline in a mapped file's name as "\012"
 * (fs/proc/task_mmu.c, show_map_vma(): seq_file_path(m, file, "\n")): undone,
 * so that the name is escaped as every other name is.  It escapes nothing
 * else, so a name that holds those four characters reads as a newline too.
 */
static void path_unescape(char *s)
{
	char *o = s;

	for (const char *p = s; *p;) {
		if (strncmp(p, "\\012", 4) == 0) {
			*o++ = '\n';
			p += 4;
		} else {
			*o++ = *p++;
		}
	}
	*o = '\0';
}

/* "start-end perms offset dev inode   path" heads each mapping. */
static int map_header(const char *l, struct proc_map *m)
{
	const char *p = l;
	size_t i;

	memset(m, 0, sizeof(*m));
	if (number_scan(&p, 16, &m->start) != 0 || *p++ != '-' ||
	    number_scan(&p, 16, &m->end) != 0 || *p++ != ' ')
		return -EINVAL;
	for (i = 0; i < sizeof(m->perms) - 1 && *p && *p != ' ' && *p != '\n'; i++)
		m->perms[i] = *p++;
	/* offset, device and inode, then the path padded with spaces. */
	for (int f = 0; f < 3; f++) {
		if (*p++ != ' ')
			return -EINVAL;
		while (*p && *p != ' ' && *p != '\n')
			p++;
	}
	while (*p == ' ')
		p++;
	m->path = strndup(p, strcspn(p, "\n"));
	if (!m->path)
		return -ENOMEM;
	path_unescape(m->path);
	return 0;
}

static void map_line(const char *l, struct proc_map *m)
{
	const char *v;

	if ((v = field(l, "Size:", 5)))
		kb_scan(v, &m->size);
	else if ((v = field(l, "Rss:", 4)))
		kb_scan(v, &m->rss);
	else if ((v = field(l, "Locked:", 7)))
		kb_scan(v, &m->locked);
	else if ((v = field(l, "VmFlags:", 8))) {
		size_t n = strcspn(v, "\n");

		snprintf(m->flags, sizeof(m->flags), "%.*s", (int)n, v);
		/* Two-letter words: "lo" VM_LOCKED, "lf" VM_LOCKONFAULT. */
		for (const char *w = v; w < v + n; w += 3) {
			if (strncmp(w, "lo", 2) == 0)
				m->vm_locked = true;
			else if (strncmp(w, "lf", 2) == 0)
				m->vm_onfault = true;
		}
	}
}

void procfs_free_maps(struct proc_map *maps, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(maps[i].path);
	free(maps);
}

int procfs_parse_smaps(const char *buf, struct proc_map **maps, size_t *n)
{
	struct proc_map *v = NULL, *nv, m;
	size_t cap = 0;

	*n = 0;
	for (const char *l = buf; l && *l; l = strchr(l, '\n'), l = l ? l + 1 : NULL) {
		if (map_header(l, &m) == 0) {
			if (*n == cap) {
				cap = cap ? cap * 2 : 64;
				nv = realloc(v, cap * sizeof(*v));
				if (!nv) {
					free(m.path);
					procfs_free_maps(v, *n);
					return -ENOMEM;
				}
				v = nv;
			}
			v[(*n)++] = m;
		} else if (*n > 0) {
			map_line(l, &v[*n - 1]);
		}
	}
	*maps = v;
	return 0;
}

int procfs_read_smaps(int procfd, int pid, struct proc_map **maps, size_t *n)
{
	char *buf;
	int rc = read_pid_file(procfd, pid, "smaps", &buf);

	if (rc)
		return rc;
	rc = procfs_parse_smaps(buf, maps, n);
	free(buf);
	return rc;
}

int procfs_parse_meminfo(const char *buf, struct meminfo *mi)
{
	static const struct {
		const char *key;
		size_t len, off;
		unsigned bit;
	} keys[] = {
		{ "MemTotal:", 9, offsetof(struct meminfo, total), MI_TOTAL },
		{ "MemAvailable:", 13, offsetof(struct meminfo, available), MI_AVAILABLE },
		{ "Mlocked:", 8, offsetof(struct meminfo, mlocked), MI_MLOCKED },
		{ "Unevictable:", 12, offsetof(struct meminfo, unevictable), MI_UNEVICTABLE },
		{ "SwapTotal:", 10, offsetof(struct meminfo, swap_total), MI_SWAP },
		{ "CommitLimit:", 12, offsetof(struct meminfo, commit_limit), MI_COMMIT },
		{ "Committed_AS:", 13, offsetof(struct meminfo, committed), MI_COMMITTED },
	};

	memset(mi, 0, sizeof(*mi));
	for (const char *l = buf; l && *l; l = strchr(l, '\n'), l = l ? l + 1 : NULL)
		for (size_t k = 0; k < sizeof(keys) / sizeof(keys[0]); k++) {
			const char *v = field(l, keys[k].key, keys[k].len);

			if (v && kb_scan(v, (uint64_t *)((char *)mi + keys[k].off)) == 0)
				mi->have |= keys[k].bit;
		}
	return mi->have ? 0 : -EINVAL;
}

int procfs_read_meminfo(int procfd, struct meminfo *mi)
{
	char *buf;
	int rc = procfs_read_file(procfd, "meminfo", &buf, NULL);

	if (rc)
		return rc;
	rc = procfs_parse_meminfo(buf, mi);
	free(buf);
	return rc;
}

/* Skips blanks, then reads one number of the row. */
static int col_scan(const char **p, unsigned base, uint64_t *v)
{
	while (**p == ' ' || **p == '\t')
		(*p)++;
	return number_scan(p, base, v);
}

/* "key shmid perms size cpid lpid nattch uid gid cuid cgid ..." */
static int shm_row(const char *l, struct shm_seg *s)
{
	uint64_t v[11];
	static const unsigned base[11] = { 10, 10, 8, 10, 10, 10, 10, 10, 10, 10, 10 };
	const char *p = l;

	/* The key is signed: "-1" is not a row we need to read it for. */
	while (*p == ' ')
		p++;
	if (*p == '-')
		p++;
	for (int i = 0; i < 11; i++)
		if (col_scan(&p, base[i], &v[i]) != 0)
			return -EINVAL;
	if (v[1] > INT32_MAX || v[4] > INT32_MAX || v[7] > UINT32_MAX || v[9] > UINT32_MAX)
		return -EINVAL;
	memset(s, 0, sizeof(*s));
	s->shmid = (int)v[1];
	s->perms = (unsigned)v[2];
	s->size = v[3];
	s->cpid = (int)v[4];
	s->nattch = v[6];
	s->uid = (uint32_t)v[7];
	s->cuid = (uint32_t)v[9];
	/* rss follows three times; older kernels lack it. */
	for (int i = 0; i < 3; i++)
		if (col_scan(&p, 10, &v[0]) != 0)
			return 0;
	if (col_scan(&p, 10, &v[0]) == 0)
		s->rss = v[0];
	return 0;
}

int procfs_parse_shm(const char *buf, struct shm_seg **segs, size_t *n)
{
	struct shm_seg *v = NULL, *nv, s;
	size_t cap = 0;
	const char *l = strchr(buf, '\n');	/* the header */

	*n = 0;
	for (l = l ? l + 1 : NULL; l && *l; l = strchr(l, '\n'), l = l ? l + 1 : NULL) {
		if (shm_row(l, &s) != 0)
			continue;
		if (*n == cap) {
			cap = cap ? cap * 2 : 16;
			nv = realloc(v, cap * sizeof(*v));
			if (!nv) {
				free(v);
				return -ENOMEM;
			}
			v = nv;
		}
		v[(*n)++] = s;
	}
	*segs = v;
	return 0;
}

int procfs_read_shm(int procfd, struct shm_seg **segs, size_t *n)
{
	char *buf;
	int rc = procfs_read_file(procfd, "sysvipc/shm", &buf, NULL);

	if (rc)
		return rc;
	rc = procfs_parse_shm(buf, segs, n);
	free(buf);
	return rc;
}

int procfs_userns_ino(int procfd, int pid, uint64_t *ino)
{
	char path[64], link[64];
	const char *p;
	ssize_t len;

	snprintf(path, sizeof(path), "%d/ns/user", pid);
	len = readlinkat(procfd, path, link, sizeof(link) - 1);
	if (len < 0)
		return errno == ENOENT ? -ESRCH : -errno;
	link[len] = '\0';
	p = strchr(link, '[');
	if (!p++ || number_scan(&p, 10, ino) != 0 || *p != ']')
		return -EINVAL;
	return 0;
}

int procfs_count_maps(int procfd, int pid, uint64_t *n)
{
	char *buf;
	int rc = read_pid_file(procfd, pid, "maps", &buf);

	if (rc)
		return rc;
	/* [vsyscall] is the gate area, listed but not in mm->map_count. */
	*n = 0;
	for (const char *p = buf; *p; p++)
		*n += *p == '\n';
	if (*n && strstr(buf, " [vsyscall]\n"))
		(*n)--;
	free(buf);
	return 0;
}

int procfs_read_sysctl(int procfd, const char *name, uint64_t *v)
{
	char *buf;
	const char *p;
	int rc = procfs_read_file(procfd, name, &buf, NULL);

	if (rc)
		return rc;
	p = buf;
	rc = number_scan(&p, 10, v) == 0 && (*p == '\n' || *p == '\0') ? 0 : -EINVAL;
	free(buf);
	return rc;
}

int procfs_parse_cgroup(const char *buf, char *path, size_t len, bool *v1)
{
	const char *v2 = NULL;

	for (const char *l = buf; l && *l; l = strchr(l, '\n'), l = l ? l + 1 : NULL) {
		const char *c1 = strchr(l, ':'), *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
		size_t n;

		if (!c2 || c2 > strchr(l, '\n'))
			continue;
		n = strcspn(c2 + 1, "\n");
		/* "N:memory:/path", or "N:cpu,memory:/path". */
		for (const char *w = c1 + 1; w < c2; w += strcspn(w, ",:") + 1)
			if (strncmp(w, "memory", 6) == 0 && (w[6] == ',' || w + 6 == c2)) {
				snprintf(path, len, "%.*s", (int)n, c2 + 1);
				*v1 = true;
				return 0;
			}
		if (c1 == l + 1 && l[0] == '0' && c2 == c1 + 1)
			v2 = c2 + 1;
	}
	if (!v2)
		return -ENOENT;
	snprintf(path, len, "%.*s", (int)strcspn(v2, "\n"), v2);
	*v1 = false;
	return 0;
}

int procfs_read_cgroup(int procfd, int pid, char *path, size_t len, bool *v1)
{
	char *buf;
	int rc = read_pid_file(procfd, pid, "cgroup", &buf);

	if (rc)
		return rc;
	rc = procfs_parse_cgroup(buf, path, len, v1);
	free(buf);
	return rc;
}

/* Reads DIR/FILE's number below CGFD; "max" (v2) is no limit. */
static int cg_value(int cgfd, const char *dir, const char *file, uint64_t *v)
{
	char path[400], *buf;
	const char *p;
	int rc;

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	rc = procfs_read_file(cgfd, path, &buf, NULL);
	if (rc)
		return rc;
	p = buf;
	if (strncmp(buf, "max", 3) == 0 && (buf[3] == '\n' || buf[3] == '\0'))
		*v = UINT64_MAX;
	else if (number_scan(&p, 10, v) != 0 || (*p != '\n' && *p != '\0'))
		rc = -EINVAL;
	free(buf);
	return rc;
}

/* The file cache in DIR's memory.stat: what reclaim can take back. */
static int cg_reclaimable(int cgfd, const char *dir, bool v1, uint64_t *v)
{
	static const char *const keys[2][2] = {
		{ "active_file ", "inactive_file " },
		{ "total_active_file ", "total_inactive_file " },
	};
	char path[400], *buf;
	int found = 0, rc;

	snprintf(path, sizeof(path), "%s/memory.stat", dir);
	rc = procfs_read_file(cgfd, path, &buf, NULL);
	if (rc)
		return rc;
	*v = 0;
	for (const char *l = buf; l && *l; l = strchr(l, '\n'), l = l ? l + 1 : NULL) {
		const char *p = l + 17;
		uint64_t n;

		for (int k = 0; k < 2; k++) {
			const char *key = keys[v1][k];

			p = l + strlen(key);
			if (strncmp(l, key, strlen(key)) == 0 && number_scan(&p, 10, &n) == 0 &&
			    size_add(*v, n, v) == 0)
				found++;
		}
		/* v2 also counts reclaimable kernel memory (dentries, inodes),
		 * which reclaim takes back too; v1's memory.stat has no such
		 * line (mm/memcontrol.c memory_stat_format()). */
		p = l + 17;
		if (!v1 && strncmp(l, "slab_reclaimable ", 17) == 0 &&
		    number_scan(&p, 10, &n) == 0)
			size_add(*v, n, v);
	}
	free(buf);
	return found == 2 ? 0 : -EINVAL;
}

int procfs_memcg_fs_check(int cgfd, const struct memcg *cg, char *bad, size_t badlen)
{
	const char *root = cg->v1 ? "memory" : ".";
	struct statfs sf;
	int fd = openat(cgfd, root, O_RDONLY | O_DIRECTORY | O_CLOEXEC), rc = 0;

	if (cg->none)
		return 0;
	if (fd < 0 || fstatfs(fd, &sf) != 0)
		rc = -errno;
	else if (sf.f_type != (cg->v1 ? CGROUP_SUPER_MAGIC : CGROUP2_SUPER_MAGIC))
		rc = -ENOTSUP;
	if (fd >= 0)
		close(fd);
	if (rc)
		snprintf(bad, badlen, SYSFS_CGROUP "/%s", cg->v1 ? root : "");
	return rc;
}

int procfs_read_memcg(int procfd, int cgfd, int pid, struct memcg *cg,
		      char *bad, size_t badlen)
{
	const char *lim_file, *use_file, *root;
	char dir[320];
	int rc;

	memset(cg, 0, sizeof(*cg));
	rc = procfs_read_cgroup(procfd, pid, cg->path, sizeof(cg->path), &cg->v1);
	if (rc == -ENOENT) {
		cg->none = true;
		return 0;
	}
	if (rc) {
		snprintf(bad, badlen, PROCFS_ROOT "/%d/cgroup", pid);
		return rc;
	}
	root = cg->v1 ? "memory" : ".";
	lim_file = cg->v1 ? "memory.limit_in_bytes" : "memory.max";
	use_file = cg->v1 ? "memory.usage_in_bytes" : "memory.current";
	cg->limit = UINT64_MAX;
	snprintf(dir, sizeof(dir), "%s%s", root, cg->path);
	/*
	 * From the process's level up to the root.  A level that does not
	 * exist here is skipped (a container sees its own cgroup as the root,
	 * with the host's path in /proc/PID/cgroup); a level without the limit
	 * file has no limit (v2's root, or the controller not enabled there).
	 */
	for (;;) {
		uint64_t lim, use, rec;
		char *slash;

		rc = cg_value(cgfd, dir, lim_file, &lim);
		if (rc && rc != -ENOENT) {
			snprintf(bad, badlen, SYSFS_CGROUP "/%s/%s", dir, lim_file);
			return rc;
		}
		/* v1 writes "no limit" as the largest page-aligned long. */
		if (rc == 0 && lim < cg->limit && lim < (UINT64_MAX >> 2)) {
			if ((rc = cg_value(cgfd, dir, use_file, &use)) != 0) {
				snprintf(bad, badlen, SYSFS_CGROUP "/%s/%s", dir, use_file);
				return rc;
			}
			if ((rc = cg_reclaimable(cgfd, dir, cg->v1, &rec)) != 0) {
				snprintf(bad, badlen, SYSFS_CGROUP "/%s/memory.stat", dir);
				return rc;
			}
			cg->limit = lim;
			cg->usage = use;
			cg->reclaimable = rec < use ? rec : use;
			cg->limited = true;
			snprintf(cg->level, sizeof(cg->level), "%s", dir);
		}
		if (strcmp(dir, root) == 0 || !(slash = strrchr(dir, '/')))
			break;
		*slash = '\0';
	}
	return 0;
}

uint64_t procfs_memcg_room(const struct memcg *cg)
{
	uint64_t held = cg->usage - cg->reclaimable;

	if (!cg->limited)
		return UINT64_MAX;
	return cg->limit > held ? cg->limit - held : 0;
}

/* io_uring's ring memory for an instance: struct io_rings (with its CQEs
 * and the SQ index array) and the SQE array, in whole pages each
 * (io_uring/io_uring.c rings_size(), io_allocate_scq_urings()); the
 * header before the CQEs is taken as 256 bytes. */
static uint64_t uring_ring_bytes(uint64_t ps, uint64_t sq, uint64_t cq)
{
	uint64_t rings = 256 + cq * 16 + sq * 4, sqes = sq * 64;

	return (rings + ps - 1) / ps * ps + (sqes + ps - 1) / ps * ps;
}

/*
 * io_uring/fdinfo.c io_uring_show_fdinfo(): "SqMask: 0x7", "CqMask: 0xf"
 * (6.x; "SqEntries:" elsewhere), then "UserBufs:\tN" and one
 * "%5u: 0x%llx/%u" line a buffer.  Buffers are charged by the pages they
 * touch (io_uring/rsrc.c io_buffer_account_pin()).
 */
int procfs_parse_uring_fdinfo(const char *text, uint64_t ps, uint64_t *bufs,
			      uint64_t *ring_bytes)
{
	uint64_t sq = 0, cq = 0;
	bool in_bufs = false, ring = false;

	for (const char *l = text; l && *l; l = strchr(l, '\n'), l = l ? l + 1 : NULL) {
		unsigned long long addr, len, v;
		unsigned idx;

		if (sscanf(l, "SqMask: %llx", &v) == 1) {
			sq = v + 1;
			ring = true;
		} else if (sscanf(l, "CqMask: %llx", &v) == 1) {
			cq = v + 1;
		} else if (sscanf(l, "SqEntries: %llu", &v) == 1) {
			sq = v;
			ring = true;
		} else if (sscanf(l, "CqEntries: %llu", &v) == 1) {
			cq = v;
		} else if (strncmp(l, "UserBufs:", 9) == 0) {
			in_bufs = true;
		} else if (in_bufs && sscanf(l, " %u: 0x%llx/%llu", &idx, &addr, &len) == 3) {
			*bufs += (((addr + len + ps - 1) / ps) - addr / ps) * ps;
		} else if (in_bufs && !strchr(" 0123456789", *l)) {
			in_bufs = false;
		}
	}
	if (!ring)
		return -ENODATA;
	*ring_bytes += uring_ring_bytes(ps, sq, cq);
	return 0;
}

int procfs_read_uring(int procfd, int pid, uint64_t ps, struct uring_use *u)
{
	char path[64];
	struct dirent *e;
	int dfd;
	DIR *d;

	memset(u, 0, sizeof(*u));
	snprintf(path, sizeof(path), "%d/fd", pid);
	dfd = openat(procfd, path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	d = dfd >= 0 ? fdopendir(dfd) : NULL;
	if (!d) {
		int err = errno;

		if (dfd >= 0)
			close(dfd);
		if (err == ENOENT)
			return -ESRCH;
		u->hidden = 1;
		return 0;
	}
	while ((e = readdir(d))) {
		char link[64], info[300], *text = NULL;
		ssize_t len;
		int rc = -ENODATA;

		if (e->d_name[0] == '.')
			continue;
		len = readlinkat(dirfd(d), e->d_name, link, sizeof(link) - 1);
		if (len < 0)
			continue;
		link[len] = '\0';
		if (strcmp(link, "anon_inode:[io_uring]") != 0)
			continue;
		u->rings++;
		snprintf(info, sizeof(info), "%d/fdinfo/%s", pid, e->d_name);
		/* Since 6.15 the ring's part of fdinfo is left out while its
		 * lock is busy: try again, then count it unread, never empty. */
		for (int tries = 0; tries < 3 && rc == -ENODATA; tries++) {
			uint64_t b = 0, r = 0;

			if (procfs_read_file(procfd, info, &text, NULL) != 0)
				break;
			rc = procfs_parse_uring_fdinfo(text, ps, &b, &r);
			if (rc == 0) {
				u->bufs += b;
				u->ring_bytes += r;
			}
			free(text);
			text = NULL;
		}
		if (rc != 0)
			u->hidden++;
	}
	closedir(d);
	return 0;
}

int procfs_read_perf_rings(int procfd, int pid, uint64_t *bytes)
{
	char *text;
	int rc = read_pid_file(procfd, pid, "maps", &text);

	*bytes = 0;
	if (rc)
		return rc;
	for (const char *l = text; l && *l; l = strchr(l, '\n'), l = l ? l + 1 : NULL) {
		unsigned long long start, end;
		const char *nl = strchr(l, '\n'), *hit = strstr(l, "anon_inode:[perf_event]");

		if (hit && (!nl || hit < nl) && sscanf(l, "%llx-%llx", &start, &end) == 2 &&
		    end > start)
			*bytes += end - start;
	}
	free(text);
	return 0;
}
