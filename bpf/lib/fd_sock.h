/* SPDX-License-Identifier: GPL-2.0-only */
/* From a syscall's descriptor argument to the socket behind it. */
#ifndef WD_LIB_FD_SOCK_H
#define WD_LIB_FD_SOCK_H

/* The socket of that kind behind a descriptor of the current task, or NULL. */
static __always_inline struct sock *fd_to_sock(int fd, __u16 family,
					       __u16 protocol)
{
	struct file **fds, *f = NULL;
	struct socket *so;
	struct sock *sk;
	unsigned int max;

	if (fd < 0)
		return NULL;
	if (task_btf) {
		/* direct loads down to the descriptor table */
		struct fdtable *fdt = bpf_get_current_task_btf()->files->fdt;

		fds = fdt->fd;
		max = fdt->max_fds;
	} else {
		struct task_struct *task = (struct task_struct *)bpf_get_current_task();

		fds = BPF_CORE_READ(task, files, fdt, fd);
		max = BPF_CORE_READ(task, files, fdt, max_fds);
	}
	if ((unsigned int)fd >= max)
		return NULL;
	if (bpf_probe_read_kernel(&f, sizeof(f), &fds[fd]) || !f)
		return NULL;
	so = BPF_CORE_READ(f, private_data);
	/* Only a socket's file is pointed back to by its private_data. */
	if (!so || BPF_CORE_READ(so, file) != f)
		return NULL;
	sk = BPF_CORE_READ(so, sk);
	/* (an inet socket's protocol implies its type: TCP streams, UDP datagrams) */
	if (!sk || BPF_CORE_READ(sk, sk_protocol) != protocol ||
	    BPF_CORE_READ(sk, __sk_common.skc_family) != family)
		return NULL;
	return sk;
}

#endif /* WD_LIB_FD_SOCK_H */
