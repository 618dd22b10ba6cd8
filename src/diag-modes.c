/*
 * The modes of `doctor`: one row each, what the call charges, to whom, and
 * which errno the kernel gives.  The rules were read in the kernel's source
 * (6.18, with the versions at which they changed); each row names the file
 * and function, and tests/doctor-truth.bats proves the ones this machine can
 * run against the real kernel.
 */
#include "diagnose.h"

#include <errno.h>
#include <string.h>

const struct diag_mode_info diag_modes[MODE_COUNT] = {
	/* mm/mlock.c do_mlock(): can_do_mlock() is EPERM for a soft limit
	 * of 0 without capable(CAP_IPC_LOCK); locked_vm + PAGE_ALIGN(len)
	 * over the soft limit is ENOMEM; mlock_fixup() may split a VMA
	 * (mm/vma.c __split_vma(): ENOMEM at vm.max_map_count). */
	[MODE_MLOCK] = {
		.name = "mlock", .call = "mlock()", .what = "VmLck",
		.verb = "locked",
		.counter = CNT_LOCKED_VM, .over = ENOMEM, .zero = EPERM,
		.splits = true, .faults = true,
		.rule = "mm/mlock.c do_mlock(): VmLck plus the page-aligned length must "
			"stay within the soft limit (ENOMEM), a soft limit of 0 is EPERM, "
			"CAP_IPC_LOCK in the initial user namespace lifts both",
	},
	/* The same charge; the pages come in on first touch. */
	[MODE_ONFAULT] = {
		.name = "onfault", .call = "mlock2(MLOCK_ONFAULT)", .what = "VmLck",
		.verb = "locked",
		.counter = CNT_LOCKED_VM, .over = ENOMEM, .zero = EPERM,
		.splits = true,
		.rule = "mm/mlock.c do_mlock() with MLOCK_ONFAULT: charged like mlock() "
			"at once, faulted in later",
	},
	/* mm/mlock.c SYSCALL_DEFINE1(mlockall): MCL_CURRENT passes when
	 * mm->total_vm <= the limit; apply_mlockall_flags() sets VM_LOCKED
	 * on whole VMAs and splits none. */
	[MODE_MLOCKALL] = {
		.name = "mlockall", .call = "mlockall(MCL_CURRENT)", .what = "VmSize",
		.verb = "locked",
		.counter = CNT_TOTAL_VM, .over = ENOMEM, .zero = EPERM,
		.faults = true,
		.rule = "mm/mlock.c mlockall(): MCL_CURRENT compares the whole virtual "
			"size (total_vm, VmSize), not RSS, with the soft limit (ENOMEM)",
	},
	/* mm/mmap.c do_mmap(): MAP_LOCKED needs can_do_mlock() (EPERM);
	 * mlock_future_ok() refuses locked_vm + len over the limit: EAGAIN.
	 * After mlockall(MCL_FUTURE) every mmap is VM_LOCKED and checked the
	 * same way (mm->def_flags). */
	[MODE_MMAP_LOCKED] = {
		.name = "mmap-locked", .call = "mmap(MAP_LOCKED)", .what = "VmLck",
		.verb = "locked",
		.counter = CNT_LOCKED_VM, .over = EAGAIN, .zero = EPERM,
		.maps = true, .faults = true,
		.rule = "mm/mmap.c do_mmap() and mlock_future_ok(): a MAP_LOCKED mapping, "
			"or any mapping after mlockall(MCL_FUTURE), over the soft limit "
			"fails with EAGAIN, not ENOMEM",
	},
	/* ipc/shm.c shmctl_do_lock(): EPERM unless ns_capable(IPC ns owner,
	 * CAP_IPC_LOCK), the owner or creator, and a non-zero limit;
	 * mm/shmem.c shmem_lock() -> mm/mlock.c user_shm_lock(): the
	 * locker's ucounts (kernel/ucount.c inc_rlimit_ucounts(), per user
	 * namespace since 5.14) over the limit: ENOMEM. */
	[MODE_SHM] = {
		.name = "shm", .call = "shmctl(SHM_LOCK)", .what = "this user's SHM_LOCK segments",
		.verb = "locked",
		.counter = CNT_USER_SHM, .over = ENOMEM, .zero = EPERM, .per_user = true,
		.rule = "ipc/shm.c shmctl_do_lock() and mm/mlock.c user_shm_lock(): charged "
			"to the user who locks, per user namespace (ucounts), not to the "
			"segment's owner and never in VmLck (ENOMEM); only the owner or "
			"creator may lock, and not with a soft limit of 0 (EPERM), unless "
			"CAP_IPC_LOCK in the IPC namespace's user namespace",
	},
	/* io_uring/rsrc.c __io_account_mem(): user->locked_vm + pages over
	 * the limit is ENOMEM; skipped when the ring was made with
	 * CAP_IPC_LOCK (io_uring/io_uring.c io_uring_create(): ctx->user
	 * only without it).  io_account_mem() adds pinned_vm, unchecked. */
	[MODE_IO_URING] = {
		.name = "io_uring", .call = "io_uring_register(IORING_REGISTER_BUFFERS)",
		.what = "this user's io_uring memory", .verb = "registered",
		.counter = CNT_USER_LOCKED,
		.over = ENOMEM, .zero = 0, .per_user = true, .faults = true,
		.rule = "io_uring/rsrc.c __io_account_mem(): registered buffers (a huge "
			"page charged whole) and, since 6.14, the rings themselves are "
			"added to the user's locked memory across all that user's "
			"processes and checked against the soft limit (ENOMEM), unless "
			"the ring was set up with CAP_IPC_LOCK; they show in VmPin, not VmLck",
	},
	/* drivers/infiniband/core/umem.c ib_umem_get(): can_do_mlock() first
	 * (EPERM at a soft limit of 0), then pinned_vm + npages over the
	 * limit without capable(CAP_IPC_LOCK): ENOMEM. */
	[MODE_RDMA] = {
		.name = "rdma", .call = "ibv_reg_mr()", .what = "VmPin",
		.verb = "registered",
		.counter = CNT_PINNED_VM, .over = ENOMEM, .zero = EPERM, .faults = true,
		.rule = "drivers/infiniband/core/umem.c ib_umem_get(): a memory region's "
			"pages are added to the process's pinned memory (VmPin) and checked "
			"against the soft limit (ENOMEM; EPERM at a soft limit of 0) unless "
			"CAP_IPC_LOCK",
	},
	/* drivers/vfio/vfio_iommu_type1.c vfio_lock_acct() -> mm/util.c
	 * __account_locked_vm(): locked_vm + npages over the limit unless
	 * dma->lock_cap (capable(CAP_IPC_LOCK) at VFIO_IOMMU_MAP_DMA). */
	[MODE_VFIO] = {
		.name = "vfio", .call = "ioctl(VFIO_IOMMU_MAP_DMA)", .what = "VmLck",
		.verb = "mapped for DMA",
		.counter = CNT_LOCKED_VM, .over = ENOMEM, .zero = 0, .faults = true,
		.rule = "drivers/vfio/vfio_iommu_type1.c vfio_lock_acct(), mm/util.c "
			"__account_locked_vm(): DMA-mapped pages are added to VmLck and "
			"checked against the soft limit (ENOMEM) unless the mapper had "
			"CAP_IPC_LOCK",
	},
	/* kernel/events/core.c perf_mmap(): the first perf_event_mlock_kb
	 * per online CPU of the user's locked_vm are free; the rest goes to
	 * pinned_vm, checked against the limit when perf_event_paranoid >
	 * -1 without capable(CAP_IPC_LOCK): EPERM. */
	[MODE_PERF] = {
		.name = "perf", .call = "mmap(perf_event ring)", .what = "VmPin",
		.verb = "mapped",
		.counter = CNT_PINNED_VM, .over = EPERM, .zero = 0, .per_user = true,
		.maps = true,
		.rule = "kernel/events/core.c perf_mmap(): each user may map "
			"kernel.perf_event_mlock_kb per online CPU of rings for free; what "
			"goes beyond is added to VmPin and checked against the soft limit "
			"(EPERM) while kernel.perf_event_paranoid > -1, unless CAP_IPC_LOCK",
	},
	/* kernel/bpf/syscall.c bpf_charge_memlock() (before 5.11):
	 * user->locked_vm + pages over the limit, with no capability
	 * exemption: EPERM.  Since 5.11 maps are charged to the memory
	 * cgroup (commit "bpf: eliminate rlimit-based memory accounting"). */
	[MODE_BPF] = {
		.name = "bpf", .call = "bpf(BPF_MAP_CREATE)", .what = "this user's locked memory",
		.verb = "allocated",
		.counter = CNT_USER_LOCKED, .over = EPERM, .zero = 0, .per_user = true,
		.rule = "kernel/bpf/syscall.c: before 5.11 bpf_charge_memlock() adds map "
			"memory to the user's locked memory and checks the soft limit with "
			"no capability exemption (EPERM); since 5.11 it is charged to the "
			"memory cgroup and RLIMIT_MEMLOCK no longer applies",
	},
};

int diag_mode_parse(const char *s)
{
	for (int m = 0; m < MODE_COUNT; m++)
		if (strcmp(s, diag_modes[m].name) == 0)
			return m;
	return -1;
}

const char *diag_mode_list(void)
{
	static char buf[160];

	if (!buf[0])
		for (int m = 0; m < MODE_COUNT; m++) {
			if (m)
				strcat(buf, m == MODE_COUNT - 1 ? " or " : ", ");
			strcat(buf, diag_modes[m].name);
		}
	return buf;
}

const char *diag_mode_name(enum diag_mode m)
{
	return diag_modes[m].name;
}
