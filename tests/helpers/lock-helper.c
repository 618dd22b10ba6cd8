/*
 * Test helper: holds locked memory until SIGTERM or SIGINT.
 *   lock-helper [--name NAME] [--mlock BYTES] [--onfault BYTES] [--touch]
 *               [--mlockall] [--shm BYTES] [--stale-shm BYTES]
 *               [--maps N] [--drop-ipc-lock] [--usr1 MODE:BYTES]
 * The options act in order.  --mlock locks (and faults in) anonymous memory;
 * --onfault locks with mlock2(MLOCK_ONFAULT), touching half with --touch;
 * --shm makes a System V segment locked with SHM_LOCK, removed when the
 * helper exits; --stale-shm one that outlives it (the test removes it);
 * --maps makes N more mappings; --drop-ipc-lock keeps CAP_IPC_LOCK
 * permitted but not effective.  --usr1 MODE:BYTES (mlock, onfault,
 * mlockall or shm) tries that lock each time SIGUSR1 comes, and prints
 * "usr1 RESULT" (ok or the errno's name).  A lock that fails at start
 * prints "OPTION ERRNO" and exits 1.  Prints "ready PID [SHMID]" once
 * everything is in place (SHMID: the --stale-shm segment).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/shm.h>
#include <unistd.h>

static volatile sig_atomic_t done, usr1;
static int stale_id = -1;

static void on_signal(int sig)
{
	if (sig == SIGUSR1)
		usr1++;
	else
		done = 1;
}

/* NULL, with errno set, when the kernel refuses the mapping. */
static void *anon(size_t len, int prot)
{
	void *p = mmap(NULL, len ? len : 1, prot, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);

	return p == MAP_FAILED ? NULL : p;
}

/* Returns 0 or the errno of locking LEN bytes the way MODE says. */
static int try_lock(const char *mode, size_t len, int touch)
{
	char *p;
	int id, e = 0;

	if (strcmp(mode, "mlockall") == 0)
		return mlockall(MCL_CURRENT | MCL_ONFAULT) == 0 ? 0 : errno;
	if (strcmp(mode, "shm") == 0 || strcmp(mode, "stale-shm") == 0) {
		id = shmget(IPC_PRIVATE, len, IPC_CREAT | 0600);
		if (id < 0)
			return errno;
		if (shmctl(id, SHM_LOCK, NULL) != 0)
			e = errno;
		if (e || strcmp(mode, "shm") == 0) {
			/* Attached, then marked: gone when we exit, however. */
			if (!e && shmat(id, NULL, 0) == (void *)-1)
				e = errno;
			shmctl(id, IPC_RMID, NULL);
		} else {
			stale_id = id;
		}
		return e;
	}
	p = anon(len, PROT_READ | PROT_WRITE);
	if (!p)
		return errno;
	if (strcmp(mode, "onfault") == 0) {
		if (mlock2(p, len, MLOCK_ONFAULT) != 0)
			return errno;
		if (touch)
			memset(p, 1, len / 2);
		return 0;
	}
	return mlock(p, len) == 0 ? 0 : errno;
}

static int drop_effective_ipc_lock(void)
{
	cap_value_t v = CAP_IPC_LOCK;
	cap_t c = cap_get_proc();
	int rc = c && cap_set_flag(c, CAP_EFFECTIVE, 1, &v, CAP_CLEAR) == 0 &&
		 cap_set_proc(c) == 0 ? 0 : errno;

	cap_free(c);
	return rc;
}

int main(int argc, char **argv)
{
	struct sigaction sa = { .sa_handler = on_signal };
	char usr1_mode[32] = "";
	size_t usr1_len = 0;
	int touch = 0, seen = 0;

	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGUSR1, &sa, NULL);
	for (int i = 1; i < argc; i++)
		touch |= strcmp(argv[i], "--touch") == 0;
	for (int i = 1; i < argc; i++) {
		const char *opt = argv[i], *arg = i + 1 < argc ? argv[i + 1] : "0";
		size_t len = strtoull(arg, NULL, 0);
		int e = 0;

		if (strcmp(opt, "--touch") == 0)
			continue;
		if (strcmp(opt, "--mlockall") == 0) {
			e = try_lock("mlockall", 0, 0);
		} else if (strcmp(opt, "--drop-ipc-lock") == 0) {
			e = drop_effective_ipc_lock();
		} else if (strcmp(opt, "--name") == 0) {
			prctl(PR_SET_NAME, arg);
			i++;
		} else if (strcmp(opt, "--maps") == 0) {
			/* Alternate protections so that neighbours do not merge. */
			for (size_t k = 0; k < len && !e; k++)
				if (!anon(4096, k % 2 ? PROT_READ : PROT_NONE))
					e = errno;
			i++;
		} else if (strcmp(opt, "--usr1") == 0) {
			const char *colon = strchr(arg, ':');

			snprintf(usr1_mode, sizeof(usr1_mode), "%.*s",
				 (int)(colon ? colon - arg : (long)strlen(arg)), arg);
			usr1_len = colon ? strtoull(colon + 1, NULL, 0) : 0;
			i++;
		} else if (strncmp(opt, "--", 2) == 0 && opt[2]) {
			e = try_lock(opt + 2, len, touch);
			i++;
		} else {
			fprintf(stderr, "lock-helper: bad option %s\n", opt);
			return 2;
		}
		if (e) {
			printf("%s %s\n", opt + 2, strerrorname_np(e));
			return 1;
		}
	}
	if (stale_id >= 0)
		printf("ready %d %d\n", getpid(), stale_id);
	else
		printf("ready %d\n", getpid());
	fflush(stdout);
	while (!done) {
		pause();
		while (usr1_mode[0] && seen < usr1) {
			int e = try_lock(usr1_mode, usr1_len, 0);

			seen++;
			printf("usr1 %s\n", e ? strerrorname_np(e) : "ok");
			fflush(stdout);
		}
	}
	return 0;
}
