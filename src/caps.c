/* libcap queries for the two capabilities memlock cares about. */
#define _GNU_SOURCE
#include "caps.h"
#include "procfs.h"

#include <errno.h>
#include <string.h>
#include <sys/capability.h>
#include <unistd.h>

static bool mask_has(uint64_t mask, int cap)
{
	return (mask >> cap) & 1;
}

void caps_from_masks(uint64_t eff, uint64_t prm, uint64_t bnd, struct cap_state *cs)
{
	memset(cs, 0, sizeof(*cs));
	cs->ipc_lock = (struct cap_bits){ mask_has(eff, CAP_IPC_LOCK),
		mask_has(prm, CAP_IPC_LOCK), mask_has(bnd, CAP_IPC_LOCK) };
	cs->sys_resource = (struct cap_bits){ mask_has(eff, CAP_SYS_RESOURCE),
		mask_has(prm, CAP_SYS_RESOURCE), mask_has(bnd, CAP_SYS_RESOURCE) };
}

static bool flag_of(cap_t c, cap_value_t v, cap_flag_t f)
{
	cap_flag_value_t on = CAP_CLEAR;

	return cap_get_flag(c, v, f, &on) == 0 && on == CAP_SET;
}

static void from_libcap(cap_t c, struct cap_state *cs)
{
	memset(cs, 0, sizeof(*cs));
	cs->ipc_lock.effective = flag_of(c, CAP_IPC_LOCK, CAP_EFFECTIVE);
	cs->ipc_lock.permitted = flag_of(c, CAP_IPC_LOCK, CAP_PERMITTED);
	cs->sys_resource.effective = flag_of(c, CAP_SYS_RESOURCE, CAP_EFFECTIVE);
	cs->sys_resource.permitted = flag_of(c, CAP_SYS_RESOURCE, CAP_PERMITTED);
}

static void userns_of(int procfd, int pid, struct cap_state *cs)
{
	uint64_t ino;

	if (procfd >= 0 && procfs_userns_ino(procfd, pid, &ino) == 0) {
		cs->userns = ino != PROCFS_USERNS_INIT_INO;
		cs->userns_known = true;
	}
}

int caps_self(int procfd, struct cap_state *cs)
{
	cap_t c = cap_get_proc();

	if (!c)
		return -errno;
	from_libcap(c, cs);
	cap_free(c);
	cs->ipc_lock.bounding = CAP_IS_SUPPORTED(CAP_IPC_LOCK) &&
				cap_get_bound(CAP_IPC_LOCK) == 1;
	cs->sys_resource.bounding = cap_get_bound(CAP_SYS_RESOURCE) == 1;
	userns_of(procfd, getpid(), cs);
	return 0;
}

int caps_of_pid(int procfd, int pid, struct cap_state *cs)
{
	cap_t c = cap_get_pid(pid);
	struct proc_status st;

	if (!c)
		return errno == ESRCH ? -ESRCH : -errno;
	from_libcap(c, cs);
	cap_free(c);
	/* libcap does not read another process's bounding set: status has it. */
	if (procfd >= 0 && procfs_read_status(procfd, pid, &st) == 0) {
		cs->ipc_lock.bounding = mask_has(st.cap_bnd, CAP_IPC_LOCK);
		cs->sys_resource.bounding = mask_has(st.cap_bnd, CAP_SYS_RESOURCE);
	}
	userns_of(procfd, pid, cs);
	return 0;
}

bool caps_self_effective(int cap)
{
	cap_t c = cap_get_proc();
	bool on;

	if (!c)
		return false;
	on = flag_of(c, (cap_value_t)cap, CAP_EFFECTIVE);
	cap_free(c);
	return on;
}

bool caps_can_lock(const struct cap_state *cs)
{
	return cs->ipc_lock.effective && !cs->userns;
}

int caps_drop_ipc_lock(void)
{
	cap_value_t v = CAP_IPC_LOCK;
	cap_t c = cap_get_proc();
	int rc = 0;

	if (!c)
		return -errno;
	if (cap_set_flag(c, CAP_EFFECTIVE, 1, &v, CAP_CLEAR) != 0 ||
	    cap_set_flag(c, CAP_PERMITTED, 1, &v, CAP_CLEAR) != 0 ||
	    cap_set_flag(c, CAP_INHERITABLE, 1, &v, CAP_CLEAR) != 0 ||
	    cap_set_proc(c) != 0)
		rc = -errno;
	cap_free(c);
	return rc;
}

int caps_keep_only(uint64_t keep)
{
	cap_t c = cap_get_proc();
	int rc = 0;

	if (!c)
		return -errno;
	for (cap_value_t v = 0; v < (cap_value_t)cap_max_bits(); v++) {
		if (keep >> v & 1)
			continue;
		if (cap_set_flag(c, CAP_EFFECTIVE, 1, &v, CAP_CLEAR) != 0 ||
		    cap_set_flag(c, CAP_PERMITTED, 1, &v, CAP_CLEAR) != 0) {
			rc = -errno;
			break;
		}
	}
	if (rc == 0 && (cap_clear_flag(c, CAP_INHERITABLE) != 0 || cap_set_proc(c) != 0))
		rc = -errno;
	cap_free(c);
	return rc;
}
