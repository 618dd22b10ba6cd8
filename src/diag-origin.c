/*
 * Where a process's RLIMIT_MEMLOCK came from.  Limits pass unchanged
 * through fork and exec (kernel/fork.c copy_signal() copies signal->rlim),
 * so the walk up the ppid chain finds the process at which the value
 * changed, and that process, its parent and its cgroup say who changed it:
 * a systemd manager starting a unit, a container runtime, a login through
 * pam_limits, a shell's `ulimit -l`, or a wrapper at exec (prlimit,
 * setpriv) -- which cannot be told apart from `prlimit --pid` later.
 * Each conclusion is backed by evidence that names what was seen; a marker
 * file (/.dockerenv) is never evidence.
 */
#define _GNU_SOURCE
#include "diag-internal.h"
#include "size.h"
#include "sources.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

const char *diag_origin_name(enum diag_origin o)
{
	static const char *const names[ORIGIN_COUNT] = {
		[ORIGIN_UNKNOWN] = "unknown", [ORIGIN_INHERITED] = "inherited",
		[ORIGIN_SYSTEMD] = "systemd", [ORIGIN_SYSTEMD_USER] = "systemd-user",
		[ORIGIN_CONTAINER] = "container", [ORIGIN_SESSION] = "session",
		[ORIGIN_SHELL] = "shell", [ORIGIN_WRAPPER] = "wrapper",
	};
	return names[o];
}

static void evidence(struct diag_provenance *p, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void evidence(struct diag_provenance *p, const char *fmt, ...)
{
	va_list ap;

	if (p->nevidence >= DIAG_MAX_EVIDENCE)
		return;
	va_start(ap, fmt);
	vsnprintf(p->evidence[p->nevidence++], sizeof(p->evidence[0]), fmt, ap);
	va_end(ap);
}

static bool name_in(const char *name, const char *const *set)
{
	for (; *set; set++)
		if (strcmp(name, *set) == 0)
			return true;
	return false;
}

static const char *const shells[] = {
	"bash", "sh", "dash", "zsh", "ksh", "ksh93", "mksh", "ash", "busybox",
	"fish", "tcsh", "csh", "yash", "posh", NULL
};

/* The programs that open a login session through PAM (pam_limits sets
 * the limit in them, or in the child they start the session in). */
static const char *const logins[] = {
	"sshd", "sshd-session", "login", "su", "sudo", "runuser", "doas",
	"gdm-session-wor", "lightdm", "sddm-helper", "cron", "CRON", "atd", NULL
};

/* A container runtime's process: its name, or NULL. */
static const char *runtime_name(const char *name)
{
	static const char *const runtimes[] = {
		"runc", "crun", "conmon", "youki", "dockerd", "containerd", "podman",
		"runc:[2:INIT]", "runc:[1:CHILD]", "docker-init", "tini", NULL
	};

	if (strncmp(name, "containerd-shim", 15) == 0)
		return name;
	return name_in(name, runtimes) ? name : NULL;
}

/* The cgroup path of PID that systemd names units in: the name=systemd
 * hierarchy (v1) or the unified one (v2). */
static char *unit_cgroup(int procfd, int pid)
{
	char path[64], *buf, *best = NULL;

	snprintf(path, sizeof(path), "%d/cgroup", pid);
	if (procfs_read_file(procfd, path, &buf, NULL) != 0)
		return NULL;
	for (char *l = buf; l && *l; l = strchr(l, '\n'), l = l ? l + 1 : NULL) {
		char *c1 = strchr(l, ':'), *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
		size_t n;

		if (!c2)
			break;
		n = strcspn(c2 + 1, "\n");
		if (strncmp(c1 + 1, "name=systemd:", 13) == 0 ||
		    (!best && strncmp(l, "0::", 3) == 0)) {
			free(best);
			best = strndup(c2 + 1, n);
		}
	}
	free(buf);
	return best;
}

/* The last path component of CG ending in SUFFIX, into OUT. */
static bool component_with(const char *cg, const char *suffix, char *out, size_t len)
{
	bool found = false;

	for (const char *c = cg; c && *c; c += strcspn(c, "/"), c += *c == '/') {
		size_t n = strcspn(c, "/"), sl = strlen(suffix);

		if (n > sl && strncmp(c + n - sl, suffix, sl) == 0) {
			snprintf(out, len, "%.*s", (int)n, c);
			found = true;
		}
	}
	return found;
}

/* A runtime's naming of a container's cgroup: docker-ID.scope,
 * /docker/ID, libpod-ID.scope, crio-ID.scope, kubepods. */
static const char *cgroup_runtime(const char *cg)
{
	if (!cg)
		return NULL;
	if (strstr(cg, "kubepods"))
		return "kubernetes";
	if (strstr(cg, "/libpod-") || strstr(cg, "/machine.slice/libpod"))
		return "podman";
	if (strstr(cg, "/crio-"))
		return "cri-o";
	if (strstr(cg, "/docker-") || strstr(cg, "/docker/"))
		return "docker";
	return NULL;
}

/* By file name alone, as systemd orders drop-ins across directories. */
static int cmp_base(const void *a, const void *b)
{
	return strcmp(strrchr(*(char *const *)a, '/'), strrchr(*(char *const *)b, '/'));
}

/* The last KEY=value line of FILE (systemd syntax) into P->config. */
static bool systemd_key(const char *file, const char *key, struct diag_provenance *p,
			char *value, size_t vlen)
{
	FILE *fp = fopen(file, "re");
	char line[512];
	int ln = 0;
	bool found = false;

	if (!fp)
		return false;
	while (fgets(line, sizeof(line), fp)) {
		char *s = line;

		ln++;
		while (isspace((unsigned char)*s))
			s++;
		if (strncmp(s, key, strlen(key)) != 0 || s[strlen(key)] != '=')
			continue;
		s += strlen(key) + 1;
		s[strcspn(s, "\r\n")] = '\0';
		snprintf(p->config, sizeof(p->config), "%s", file);
		p->config_line = ln;
		snprintf(value, vlen, "%s", s);
		found = true;
	}
	fclose(fp);
	return found;
}

/*
 * The file that gives UNIT its LimitMEMLOCK=: the unit file, then its
 * drop-ins (later ones win, as systemd reads them); else the manager's
 * DefaultLimitMEMLOCK= (system.conf, or user.conf for `systemd --user`).
 */
static void systemd_config(const struct diag_roots *roots, bool user,
			   struct diag_provenance *p)
{
	char prefix[256], dir[512], value[128] = "";
	const char *dirs[] = { "%setc/systemd/%s", "%srun/systemd/%s",
			       "%susr/lib/systemd/%s", "%slib/systemd/%s" };
	const char *kind = user ? "user" : "system";
	bool found = false;
	size_t n;
	char **files;

	/* ETC is ".../etc": the tree's root is above it. */
	snprintf(prefix, sizeof(prefix), "%.*s", (int)(strlen(roots->etc) - 3), roots->etc);
	/* The unit file: the first of the directories, by priority, that
	 * has it masks the others (systemd.unit(5), "Unit File Load Path"). */
	for (int i = 0; i < 4; i++) {
		char base[320];

		snprintf(base, sizeof(base), dirs[i], prefix, kind);
		snprintf(dir, sizeof(dir), "%s/%s", base, p->unit);
		if (access(dir, F_OK) == 0) {
			found = systemd_key(dir, "LimitMEMLOCK", p, value, sizeof(value));
			break;
		}
	}
	/* Its drop-ins: one list sorted by file name across the directories,
	 * where a name in a higher-priority directory hides the same name
	 * below it; read in that order, the last setting wins. */
	char **all = NULL;
	size_t nall = 0;

	for (int i = 0; i < 4; i++) {
		char base[320];

		snprintf(base, sizeof(base), dirs[i], prefix, kind);
		snprintf(dir, sizeof(dir), "%s/%s.d", base, p->unit);
		if (sources_conf_files(dir, &files, &n) != 0)
			continue;
		for (size_t k = 0; k < n; k++) {
			bool hidden = false;
			char **na;

			for (size_t j = 0; j < nall && !hidden; j++)
				hidden = strcmp(strrchr(all[j], '/'), strrchr(files[k], '/')) == 0;
			if (hidden || !(na = realloc(all, (nall + 1) * sizeof(*all))))
				continue;
			all = na;
			all[nall++] = files[k];
			files[k] = NULL;
		}
		sources_strs_free(files, n);
	}
	if (nall)
		qsort(all, nall, sizeof(*all), cmp_base);
	for (size_t k = 0; k < nall; k++)
		found |= systemd_key(all[k], "LimitMEMLOCK", p, value, sizeof(value));
	sources_strs_free(all, nall);
	if (found) {
		evidence(p, "%s:%d sets LimitMEMLOCK=%s", p->config, p->config_line, value);
		return;
	}
	snprintf(dir, sizeof(dir), "%s/systemd/%s.conf", roots->etc, kind);
	found = systemd_key(dir, "DefaultLimitMEMLOCK", p, value, sizeof(value));
	snprintf(dir, sizeof(dir), "%s/systemd/%s.conf.d", roots->etc, kind);
	if (sources_conf_files(dir, &files, &n) == 0) {
		for (size_t k = 0; k < n; k++)
			found |= systemd_key(files[k], "DefaultLimitMEMLOCK", p, value,
					     sizeof(value));
		sources_strs_free(files, n);
	}
	if (found)
		evidence(p, "no LimitMEMLOCK= for %s; %s:%d sets DefaultLimitMEMLOCK=%s",
			 p->unit, p->config, p->config_line, value);
	else
		evidence(p, "no LimitMEMLOCK= for %s and no DefaultLimitMEMLOCK= in %s/systemd: "
			 "the manager's default applies", p->unit, roots->etc);
}

/* How closely a pam_limits domain names USER (in GROUPS): 3 the user,
 * 2 @group, 1 "*", 0 not at all. */
static int domain_rank(const char *dom, const char *user, uint32_t uid,
		       gid_t *groups, int ngroups)
{
	if (strcmp(dom, user) == 0)
		return 3;
	/* limits.conf(5): group and wildcard lines never apply to root;
	 * "%group" is for maxlogins alone. */
	if (uid == 0 || dom[0] == '%')
		return 0;
	if (dom[0] == '@') {
		struct group *g = getgrnam(dom + 1);

		for (int i = 0; g && i < ngroups; i++)
			if (groups[i] == g->gr_gid)
				return 2;
		return 0;
	}
	if (strcmp(dom, "*") == 0)
		return 1;
	return 0;
}

/*
 * The pam_limits line that sets UID's memlock: limits.conf, then
 * the .conf files of limits.d; a line naming the user beats a group, a group beats
 * "*", and a later line of the same rank replaces an earlier one
 * (pam_limits.c parse_config_file()).
 */
static void limits_config(const struct diag_roots *roots, uint32_t uid,
			  struct diag_provenance *p)
{
	struct passwd *pw = getpwuid(uid);
	gid_t groups[64];
	int ngroups = 64, best = 0;
	char path[400], text[200] = "", **files = NULL;
	size_t n = 0;

	if (!pw)
		return;
	if (getgrouplist(pw->pw_name, pw->pw_gid, groups, &ngroups) < 0)
		ngroups = 0;
	snprintf(path, sizeof(path), "%s/security/limits.d", roots->etc);
	sources_conf_files(path, &files, &n);
	for (size_t k = 0; k <= n; k++) {
		char file[400], line[512];
		FILE *fp;
		int ln = 0;

		if (k == 0)
			snprintf(file, sizeof(file), "%s/security/limits.conf", roots->etc);
		else
			snprintf(file, sizeof(file), "%s", files[k - 1]);
		fp = fopen(file, "re");
		if (!fp)
			continue;
		while (fgets(line, sizeof(line), fp)) {
			char dom[64], type[16], item[32], value[64];
			int rank;

			ln++;
			if (sscanf(line, " %63s %15s %31s %63s", dom, type, item, value) != 4 ||
			    dom[0] == '#' || strcmp(item, "memlock") != 0)
				continue;
			rank = domain_rank(dom, pw->pw_name, uid, groups, ngroups);
			if (rank && rank >= best) {
				best = rank;
				snprintf(p->config, sizeof(p->config), "%s", file);
				p->config_line = ln;
				snprintf(text, sizeof(text), "%s %s %s %s", dom, type, item, value);
			}
		}
		fclose(fp);
	}
	sources_strs_free(files, n);
	if (best)
		evidence(p, "%s:%d '%s' matches user %s", p->config, p->config_line, text,
			 pw->pw_name);
	else
		evidence(p, "no memlock line for user %s in %s/security/limits.conf or "
			 "limits.d", pw->pw_name, roots->etc);
}

static const char *lim_text(const struct diag_link *l, char *buf, size_t len)
{
	char s[SIZE_BUFSZ], h[SIZE_BUFSZ];

	if (!l->have_lim)
		snprintf(buf, len, "unreadable limits");
	else
		snprintf(buf, len, "soft %s, hard %s", limit_format(l->lim.soft,
			 l->lim.soft != SIZE_UNLIMITED && l->lim.soft % 1024, s),
			 limit_format(l->lim.hard, l->lim.hard != SIZE_UNLIMITED &&
			 l->lim.hard % 1024, h));
	return buf;
}

/* The ppid chain from PID up to the top, with each process's limit. */
static void walk(int procfd, int pid, const struct diag_facts *f, struct diag_provenance *p)
{
	int cur = pid;

	p->end = CHAIN_TOP;
	for (;;) {
		struct diag_link *l = &p->link[p->n];
		struct proc_status st;
		int rc;

		if (p->n == DIAG_MAX_CHAIN) {
			p->end = CHAIN_LONG;
			return;
		}
		rc = procfs_read_status(procfd, cur, &st);
		if (rc) {
			p->end = rc == -ESRCH ? CHAIN_VANISHED : CHAIN_UNREADABLE;
			return;
		}
		l->pid = cur;
		snprintf(l->name, sizeof(l->name), "%s", st.name);
		l->uid = st.uid;
		if (p->n == 0) {
			l->lim = f->lim;	/* memlock's own, or the target's, read once */
			l->have_lim = true;
		} else {
			/* /proc/PID/limits is readable by all, where
			 * prlimit(2) on another user's process is not; and a
			 * fixture tree has it. */
			l->have_lim = procfs_read_limits(procfd, cur, &l->lim.soft,
							 &l->lim.hard) == 0;
			l->lim.source = RL_PROCFS;
		}
		p->n++;
		/* PID 1, or the top of a PID namespace (its parent is
		 * outside: ppid 0). */
		if (cur == 1 || !(st.have & PS_PPID) || st.ppid <= 0)
			return;
		cur = st.ppid;
	}
}

static bool same_lim(const struct diag_link *a, const struct diag_link *b)
{
	return a->lim.soft == b->lim.soft && a->lim.hard == b->lim.hard;
}

void diag_provenance(const struct diag_roots *roots, int pid, struct diag_facts *f)
{
	struct diag_provenance *p = &f->prov;
	const struct diag_link *c, *parent;
	const char *rt = NULL;
	char a[80], b[80], *cg;
	int top;

	memset(p, 0, sizeof(*p));
	p->set_at = -1;
	walk(roots->procfd, pid, f, p);
	if (p->n == 0) {
		p->origin = ORIGIN_UNKNOWN;
		return;
	}
	/* Each against its nearest ancestor whose limits were read: a change
	 * across an unreadable one is still a change (at it, or below). */
	for (int i = p->n - 2; i >= 0; i--) {
		int j = i + 1;

		while (j < p->n && !p->link[j].have_lim)
			j++;
		p->link[i].changed = p->link[i].have_lim && j < p->n &&
				     !same_lim(&p->link[i], &p->link[j]);
		if (p->link[i].changed && j > i + 1)
			evidence(p, "pid %d (%s) differs from pid %d (%s) above it; the limits "
				 "between could not be read, so the change was at one of them",
				 p->link[i].pid, p->link[i].name, p->link[j].pid, p->link[j].name);
	}
	for (int i = 0; i < p->n - 1 && p->set_at < 0; i++)
		if (p->link[i].changed)
			p->set_at = i;
	top = p->n - 1;
	if (p->end == CHAIN_VANISHED)
		evidence(p, "the walk stops above pid %d (%s): its parent exited meanwhile",
			 p->link[top].pid, p->link[top].name);
	else if (p->end == CHAIN_UNREADABLE)
		evidence(p, "the walk stops above pid %d (%s): its parent's status could not be "
			 "read", p->link[top].pid, p->link[top].name);
	else if (p->end == CHAIN_LONG)
		evidence(p, "the walk stops after %d processes", DIAG_MAX_CHAIN);
	for (int i = 0; i < p->n; i++)
		if (!p->link[i].have_lim) {
			evidence(p, "the limits of pid %d (%s) could not be read",
				 p->link[i].pid, p->link[i].name);
			break;
		}

	if (p->set_at < 0) {
		c = &p->link[top];
		p->origin = p->end == CHAIN_TOP ? ORIGIN_INHERITED : ORIGIN_UNKNOWN;
		evidence(p, "%s, unchanged from pid %d (%s)%s", lim_text(&p->link[0], a, sizeof(a)),
			 c->pid, c->name, p->end == CHAIN_TOP ? (c->pid == 1 ?
			 ", PID 1" : ", the top of its PID namespace") : "");
		cg = unit_cgroup(roots->procfd, pid);
		/* Under systemd a unit's limit is set when its process is
		 * started, and may equal the manager's own. */
		if (c->pid == 1 && strcmp(c->name, "systemd") == 0 && cg &&
		    component_with(cg, ".service", p->unit, sizeof(p->unit))) {
			p->origin = ORIGIN_SYSTEMD;
			evidence(p, "cgroup %s: the unit %s, started by pid 1 (systemd)", cg, p->unit);
			systemd_config(roots, false, p);
		}
		free(cg);
		return;
	}

	c = &p->link[p->set_at];
	parent = &p->link[p->set_at + 1];
	if (!parent->have_lim) {
		/* The change is at C or at one of the unreadable links
		 * above it: which, and so who made it, is not known. */
		p->origin = ORIGIN_UNKNOWN;
		p->set_at = -1;
		return;
	}
	evidence(p, "pid %d (%s) has %s; its parent pid %d (%s) has %s: the limit changed at "
		 "pid %d", c->pid, c->name, lim_text(c, a, sizeof(a)), parent->pid, parent->name,
		 lim_text(parent, b, sizeof(b)), c->pid);
	cg = unit_cgroup(roots->procfd, c->pid);

	/* A systemd manager starting a unit sets the unit's limits between
	 * its fork and the exec (src/core/execute.c): the process where it
	 * changed is the manager's child.  A change lower down, in a shell
	 * of the service, is that shell's. */
	if (strcmp(p->link[p->set_at + 1].name, "systemd") == 0 && cg &&
	    component_with(cg, ".service", p->unit, sizeof(p->unit))) {
		bool user = strstr(cg, "/user@") != NULL;

		p->origin = user ? ORIGIN_SYSTEMD_USER : ORIGIN_SYSTEMD;
		evidence(p, "cgroup %s: the unit %s; its parent pid %d (systemd) is %s", cg,
			 p->unit, p->link[p->set_at + 1].pid, user ?
			 "a `systemd --user` manager" : "the service manager");
		systemd_config(roots, user, p);
	}
	if (p->unit[0]) {
		/* A daemon's unit, inherited by the containers it starts. */
		if (runtime_name(c->name) && p->set_at > 0)
			evidence(p, "pid %d (%s) is a container runtime: its containers inherit "
				 "the unit's limit", c->pid, c->name);
		free(cg);
		return;
	}

	/* A container runtime sets the container's limits before it execs
	 * the entry point: the process where it changed is the runtime, or
	 * its child, or the first process in a cgroup a runtime named.  A
	 * change lower down, in a shell of the container, is that shell's. */
	for (int i = p->set_at; i <= p->set_at + 1 && !rt; i++) {
		rt = runtime_name(p->link[i].name);
		if (rt)
			evidence(p, "pid %d (%s), a container runtime, is %s", p->link[i].pid, rt,
				 i == p->set_at ? "where it changed" : "its parent");
	}
	if (cgroup_runtime(cg)) {
		char *pcg = unit_cgroup(roots->procfd, p->link[p->set_at + 1].pid);
		bool first = !pcg || strcmp(pcg, cg) != 0;

		evidence(p, "cgroup %s is named by a container runtime (%s)%s", cg,
			 cgroup_runtime(cg), first ? ", and its parent is outside it" : "");
		if (!rt && first)
			rt = cgroup_runtime(cg);
		free(pcg);
	}
	if (rt) {
		p->origin = ORIGIN_CONTAINER;
		snprintf(p->runtime, sizeof(p->runtime), "%s", rt);
		free(cg);
		return;
	}
	free(cg);

	/* pam_limits (pam_setcred/pam_open_session) in the program that
	 * logs the user in, or in the session's first process. */
	if (name_in(c->name, logins) || name_in(parent->name, logins)) {
		p->origin = ORIGIN_SESSION;
		evidence(p, "pid %d (%s) opens login sessions, where pam_limits sets limits",
			 name_in(c->name, logins) ? c->pid : parent->pid,
			 name_in(c->name, logins) ? c->name : parent->name);
		/* The session's user, whom pam_limits looked up: the target's
		 * (su and sshd run as root where they change it). */
		limits_config(roots, f->uid, p);
		return;
	}
	if (name_in(c->name, shells)) {
		p->origin = ORIGIN_SHELL;
		evidence(p, "pid %d (%s) is a shell: a `ulimit -l` in it, or a wrapper that "
			 "started it, or `prlimit --pid` later", c->pid, c->name);
		return;
	}
	p->origin = ORIGIN_WRAPPER;
	evidence(p, "pid %d (%s) is neither a service manager, a runtime, a login nor a shell: "
		 "set at its exec (prlimit, setpriv, its own setrlimit) or later "
		 "(`prlimit --pid`), which look alike", c->pid, c->name);
}
