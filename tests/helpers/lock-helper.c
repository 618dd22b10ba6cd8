/*
 * Test helper: holds locked memory until SIGTERM or SIGINT.
 *   lock-helper [--name NAME] [--mlock BYTES] [--onfault BYTES]
 *               [--shm BYTES] [--stale-shm BYTES] [--touch]
 * --mlock locks (and faults in) anonymous memory; --onfault locks with
 * mlock2(MLOCK_ONFAULT) and touches nothing unless --touch; --shm makes a
 * System V segment locked with SHM_LOCK, marked for removal at exit;
 * --stale-shm makes one that outlives the helper (the test removes it).
 * Prints "ready PID [SHMID]" on stdout once everything is in place.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/shm.h>
#include <unistd.h>

static volatile sig_atomic_t done;

static void on_signal(int sig)
{
	(void)sig;
	done = 1;
}

static void *anon(size_t len)
{
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED) {
		perror("mmap");
		exit(3);
	}
	return p;
}

static int shm_locked(size_t len, int stale)
{
	int id = shmget(IPC_PRIVATE, len, IPC_CREAT | 0600);

	if (id < 0 || shmctl(id, SHM_LOCK, NULL) != 0) {
		fprintf(stderr, "shm: %s\n", strerror(errno));
		if (id >= 0)
			shmctl(id, IPC_RMID, NULL);
		exit(1);
	}
	if (!stale) {
		/* Attached, then marked: the kernel removes it when we exit,
		 * however we exit. */
		if (shmat(id, NULL, 0) == (void *)-1)
			exit(3);
		shmctl(id, IPC_RMID, NULL);
	}
	return id;
}

int main(int argc, char **argv)
{
	int shmid = -1, touch = 0;
	struct sigaction sa = { .sa_handler = on_signal };

	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	for (int i = 1; i < argc; i++)
		if (strcmp(argv[i], "--touch") == 0)
			touch = 1;
	for (int i = 1; i + 1 < argc; i += 2) {
		const char *opt = argv[i];
		size_t len = strtoull(argv[i + 1], NULL, 0);

		if (strcmp(opt, "--touch") == 0) {
			i--;
		} else if (strcmp(opt, "--name") == 0) {
			prctl(PR_SET_NAME, argv[i + 1]);
		} else if (strcmp(opt, "--mlock") == 0) {
			if (mlock(anon(len), len) != 0) {
				printf("mlock %s\n", strerrorname_np(errno));
				return 1;
			}
		} else if (strcmp(opt, "--onfault") == 0) {
			char *p = anon(len);

			if (mlock2(p, len, MLOCK_ONFAULT) != 0) {
				printf("mlock2 %s\n", strerrorname_np(errno));
				return 1;
			}
			if (touch)
				memset(p, 1, len / 2);
		} else if (strcmp(opt, "--shm") == 0 || strcmp(opt, "--stale-shm") == 0) {
			shmid = shm_locked(len, strcmp(opt, "--stale-shm") == 0);
		} else {
			fprintf(stderr, "lock-helper: bad option %s\n", opt);
			return 2;
		}
	}
	if (shmid >= 0)
		printf("ready %d %d\n", getpid(), shmid);
	else
		printf("ready %d\n", getpid());
	fflush(stdout);
	while (!done)
		pause();
	return 0;
}
