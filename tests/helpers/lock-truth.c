/*
 * Test helper: the ground truth for lock predictions.  Makes the real kernel
 * call under the current limits and capabilities and says what it answered.
 *   lock-truth [--prelock BYTES] [--hold SECONDS] MODE SIZE
 * MODE: mlock, onfault, mlockall, mmap-locked, mcl-future, shm, shm-hugetlb,
 * io_uring, io_uring-setup (SIZE is the number of entries) or perf.
 * SIZE, BYTES: decimal, with an optional K, M or G (powers of 1024).
 * Prints "result=ok|ENAME call=SYSCALL|none [pages=N] vmlck=KB vmpin=KB",
 * VmLck and VmPin read after the call (-1 if unreadable).  --prelock first
 * locks BYTES on fault (charges VmLck, uses no RAM); --hold keeps all for
 * SECONDS after a success, or until SIGTERM/SIGINT.  mlock and MAP_LOCKED
 * fault the mapping in: those modes use SIZE of RAM.
 * Exit: 0 the call was made, 2 bad usage, 3 setup before the call failed.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/io_uring.h>
#include <linux/perf_event.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/shm.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#define GIB (1ULL << 30)
#define HUGE_2M (2ULL << 20)
#define NS 1000000000LL
#define RW (PROT_READ | PROT_WRITE)

enum mode { M_MLOCK, M_ONFAULT, M_MLOCKALL, M_MMAP_LOCKED, M_MCL_FUTURE,
	    M_SHM, M_SHM_HUGETLB, M_IO_URING, M_IO_URING_SETUP, M_PERF, NMODES };
static const char *const mode_names[NMODES] = {
	"mlock", "onfault", "mlockall", "mmap-locked", "mcl-future", "shm",
	"shm-hugetlb", "io_uring", "io_uring-setup", "perf",
};

/* Everything made, for cleanup(). */
static struct {
	void *pre, *map, *ring;
	size_t pre_len, map_len, ring_len;
	int fd, uring;		/* io_uring or perf fd; it is an io_uring */
	int shmid, locked_all;	/* System V segment; mlockall() called */
	struct iovec *iov;
} st = { .fd = -1, .shmid = -1 };

static const char *call = "none";	/* the syscall that answered */
static char outbuf[512];		/* stdio would malloc (MCL_FUTURE) */

static __attribute__((noreturn)) void usage(void)
{
	fputs("usage: lock-truth [--prelock BYTES] [--hold SECONDS] MODE SIZE\n",
	      stderr);
	exit(2);
}

static void cleanup(void)
{
	if (st.shmid >= 0)
		shmctl(st.shmid, IPC_RMID, NULL);
	/* A kernel worker uncharges the ring after close(): buffers now. */
	if (st.uring && st.iov)
		syscall(__NR_io_uring_register, st.fd,
			IORING_UNREGISTER_BUFFERS, NULL, 0);
	if (st.fd >= 0)
		close(st.fd);
	if (st.ring)
		munmap(st.ring, st.ring_len);
	if (st.map)
		munmap(st.map, st.map_len);
	if (st.locked_all)
		munlockall();
	if (st.pre)
		munmap(st.pre, st.pre_len);
	free(st.iov);
}

static __attribute__((noreturn)) void setup_failed(const char *what)
{
	fprintf(stderr, "setup failed: %s: %s\n", what, strerror(errno));
	cleanup();
	exit(3);
}

/* Decimal with an optional K/M/G suffix; -1 if malformed or too big. */
static int parse_size(const char *s, unsigned long long *out)
{
	unsigned long long v, mul = 1;
	char *end;

	if (*s < '0' || *s > '9')
		return -1;
	errno = 0;
	v = strtoull(s, &end, 10);
	switch (*end) {
	case 'G': case 'g': mul <<= 10; /* fall through */
	case 'M': case 'm': mul <<= 10; /* fall through */
	case 'K': case 'k': mul <<= 10; end++;
	}
	if (errno || *end || v > ULLONG_MAX / mul || v * mul > SIZE_MAX)
		return -1;
	*out = v * mul;
	return 0;
}

/* Anonymous, private and reserving no swap; NULL on error. */
static void *anon(size_t len, int prot, int flags)
{
	void *p = mmap(NULL, len, prot,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | flags, -1, 0);

	return p == MAP_FAILED ? NULL : p;
}

/* The mlock family.  Returns 0 or the errno of the call named in "call". */
static int do_mlock(enum mode m, size_t size)
{
	if (m == M_MCL_FUTURE) {
		call = "mlockall";
		if (mlockall(MCL_FUTURE | MCL_ONFAULT))
			return errno;
		st.locked_all = 1;
	}
	if (m == M_MMAP_LOCKED || m == M_MCL_FUTURE) {
		call = "mmap";
		st.map = anon(size, RW, m == M_MMAP_LOCKED ? MAP_LOCKED : 0);
		st.map_len = size;
		return st.map ? 0 : errno;
	}
	/* Here the mapping is setup and the lock is the call. */
	st.map = anon(size, m == M_MLOCKALL ? PROT_NONE : RW, 0);
	st.map_len = size;
	if (!st.map)
		setup_failed("mmap");
	if (m == M_MLOCK) {
		call = "mlock";
		return mlock(st.map, size) ? errno : 0;
	}
	if (m == M_ONFAULT) {
		call = "mlock2";
		return syscall(SYS_mlock2, st.map, size, MLOCK_ONFAULT) ? errno : 0;
	}
	call = "mlockall";
	st.locked_all = 1;	/* it may lock some before failing */
	return mlockall(MCL_CURRENT | MCL_ONFAULT) ? errno : 0;
}

static int do_shm(size_t size, int huge)
{
	int flags = IPC_CREAT | 0600;

	if (huge) {
		if (size > SIZE_MAX - HUGE_2M)
			usage();
		size = (size + HUGE_2M - 1) & ~(size_t)(HUGE_2M - 1);
		flags |= SHM_HUGETLB;
	}
	call = "shmget";
	st.shmid = shmget(IPC_PRIVATE, size, flags);
	if (st.shmid < 0)
		return errno;
	call = "shmctl";
	return shmctl(st.shmid, SHM_LOCK, NULL) ? errno : 0;
}

/* A ring of ENTRIES; then, if BUFS, SIZE of touched memory registered. */
static int do_io_uring(unsigned int entries, size_t size, int bufs)
{
	struct io_uring_params params = { 0 };
	size_t i, n, ps = (size_t)sysconf(_SC_PAGESIZE);
	char *p;

	call = "io_uring_setup";
	st.fd = (int)syscall(__NR_io_uring_setup, entries, &params);
	if (st.fd < 0)
		return errno;
	st.uring = 1;
	if (!bufs)
		return 0;
	p = mmap(NULL, size, RW, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		setup_failed("mmap");
	st.map = p;
	st.map_len = size;
	for (i = 0; i < size; i += ps)
		p[i] = 1;
	n = size / GIB + (size % GIB != 0);	/* at most 1G an iovec */
	st.iov = calloc(n, sizeof(*st.iov));
	if (!st.iov)
		setup_failed("calloc");
	for (i = 0; i < n; i++) {
		st.iov[i].iov_base = p + i * GIB;
		st.iov[i].iov_len = i + 1 < n ? GIB : size - i * GIB;
	}
	call = "io_uring_register";
	return syscall(__NR_io_uring_register, st.fd, IORING_REGISTER_BUFFERS,
		       st.iov, (unsigned int)n) ? errno : 0;
}

/* A CPU clock event and its ring: 1 header page, *pages data pages. */
static int do_perf(size_t size, size_t *pages)
{
	struct perf_event_attr attr = {
		.size = sizeof(attr), .type = PERF_TYPE_SOFTWARE,
		.config = PERF_COUNT_SW_CPU_CLOCK, .disabled = 1,
		.exclude_kernel = 1, .exclude_hv = 1,
	};
	size_t ps = (size_t)sysconf(_SC_PAGESIZE);
	size_t n = size / ps + (size % ps != 0), p2 = n ? 1 : 0;
	void *ring;

	while (p2 && p2 < n)
		p2 <<= 1;	/* data pages must be a power of two */
	*pages = p2;
	call = "perf_event_open";
	st.fd = (int)syscall(SYS_perf_event_open, &attr, 0, -1, -1,
			     PERF_FLAG_FD_CLOEXEC);
	if (st.fd < 0)
		return errno;
	call = "mmap";
	ring = mmap(NULL, (p2 + 1) * ps, RW, MAP_SHARED, st.fd, 0);
	if (ring == MAP_FAILED)
		return errno;
	st.ring = ring;
	st.ring_len = (p2 + 1) * ps;
	return 0;
}

/* A kB field of /proc/self/status, read without stdio (MCL_FUTURE). */
static long status_kb(const char *key)
{
	char buf[8192], *s;
	int fd = open("/proc/self/status", O_RDONLY | O_CLOEXEC);
	ssize_t len = fd < 0 ? -1 : read(fd, buf, sizeof(buf) - 1);

	if (fd >= 0)
		close(fd);
	if (len < 0)
		return -1;
	buf[len] = '\0';
	s = strstr(buf, key);
	return s ? strtol(s + strlen(key), NULL, 10) : -1;
}

/* Sleep SECS seconds, or less if SIGTERM or SIGINT (blocked) comes. */
static void hold(unsigned long long secs, const sigset_t *set)
{
	struct timespec now, left;
	long long end, ns;

	clock_gettime(CLOCK_MONOTONIC, &now);
	end = now.tv_sec * NS + now.tv_nsec + (long long)secs * NS;
	do {
		clock_gettime(CLOCK_MONOTONIC, &now);
		ns = end - (now.tv_sec * NS + now.tv_nsec);
		if (ns <= 0)
			return;
		left.tv_sec = ns / NS;
		left.tv_nsec = ns % NS;
	} while (sigtimedwait(set, NULL, &left) < 0 &&
		 (errno == EINTR || errno == EAGAIN));
}

int main(int argc, char **argv)
{
	unsigned long long size = 0, prelock = 0, secs = 0;
	size_t pages = 0;
	const char *name;
	char ebuf[32];
	sigset_t set;
	enum mode m;
	int i, err;

	setvbuf(stdout, outbuf, _IOFBF, sizeof(outbuf));
	for (i = 1; i + 1 < argc && !strncmp(argv[i], "--", 2); i += 2) {
		if (!strcmp(argv[i], "--prelock")) {
			if (parse_size(argv[i + 1], &prelock))
				usage();
		} else if (!strcmp(argv[i], "--hold")) {
			if (parse_size(argv[i + 1], &secs) || secs > INT_MAX ||
			    strpbrk(argv[i + 1], "KkMmGg"))
				usage();
		} else {
			usage();
		}
	}
	if (argc - i != 2 || parse_size(argv[i + 1], &size))
		usage();
	for (m = 0; m < NMODES && strcmp(argv[i], mode_names[m]); m++)
		;
	if (m == NMODES || (m == M_IO_URING_SETUP && size > UINT_MAX) ||
	    (m == M_PERF && size > SIZE_MAX / 4))
		usage();

	/* Blocked till hold() or exit: no SIGTERM can skip the IPC_RMID. */
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	if (sigprocmask(SIG_BLOCK, &set, NULL))
		setup_failed("sigprocmask");
	if (prelock) {
		st.pre = anon(prelock, RW, 0);
		st.pre_len = prelock;
		if (!st.pre)
			setup_failed("prelock mmap");
		if (syscall(SYS_mlock2, st.pre, st.pre_len, MLOCK_ONFAULT))
			setup_failed("prelock mlock2");
	}

	if (m <= M_MCL_FUTURE)
		err = do_mlock(m, size);
	else if (m <= M_SHM_HUGETLB)
		err = do_shm(size, m == M_SHM_HUGETLB);
	else if (m == M_IO_URING)
		err = do_io_uring(8, size, 1);
	else if (m == M_IO_URING_SETUP)
		err = do_io_uring((unsigned int)size, 0, 0);
	else
		err = do_perf(size, &pages);

	name = err ? strerrorname_np(err) : "ok";
	if (!name) {
		snprintf(ebuf, sizeof(ebuf), "E%d", err);
		name = ebuf;
	}
	printf("result=%s call=%s", name, call);
	if (m == M_PERF)
		printf(" pages=%zu", pages);
	printf(" vmlck=%ld vmpin=%ld\n", status_kb("\nVmLck:"),
	       status_kb("\nVmPin:"));
	fflush(stdout);
	if (!err && secs)
		hold(secs, &set);
	cleanup();
	return 0;
}
