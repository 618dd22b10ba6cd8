/* Capabilities that decide locked memory: CAP_IPC_LOCK and CAP_SYS_RESOURCE. */
#ifndef MEMLOCK_CAPS_H
#define MEMLOCK_CAPS_H

#include <stdbool.h>
#include <stdint.h>

struct cap_bits {
	bool effective, permitted, bounding;
};

struct cap_state {
	struct cap_bits ipc_lock, sys_resource;
	/* The process lives in a user namespace other than the initial one:
	 * its capabilities do not count for mlock() (the kernel asks
	 * capable(), in the initial namespace). */
	bool userns;
	bool userns_known;
};

/* From the CapEff/CapPrm/CapBnd masks of /proc/PID/status. */
void caps_from_masks(uint64_t eff, uint64_t prm, uint64_t bnd, struct cap_state *cs);

/* This process, through libcap; PROCFD (or -1) tells its user namespace. */
int caps_self(int procfd, struct cap_state *cs);

/* Another process, through libcap; PROCFD tells its user namespace. */
int caps_of_pid(int procfd, int pid, struct cap_state *cs);

/* Drops CAP_IPC_LOCK from this process's effective, permitted and
 * inheritable sets (for a probe that must lack it). */
int caps_drop_ipc_lock(void);

/*
 * Keeps only the capabilities in KEEP (a mask of 1 << CAP_*) in this
 * process's effective and permitted sets, and clears the inheritable set.
 * The bounding set stays, so that a command run by root still gets root's
 * powers from exec.
 */
int caps_keep_only(uint64_t keep);

/* Whether this process has capability CAP effective. */
bool caps_self_effective(int cap);

/* CAP_IPC_LOCK counts for mlock(): effective, in the initial namespace. */
bool caps_can_lock(const struct cap_state *cs);

#endif
