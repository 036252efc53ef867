// SPDX-License-Identifier: GPL-2.0-only
/*
 * net_listen snapshots: every listening TCP socket and bound UDP socket of
 * whodunit's network namespace, from /proc/net, with the process owning it
 * (found through /proc/PID/fd links "socket:[INODE]").
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "proc/snapshot.h"
#include "util/clock.h"

static int cmp_inode(const void *a, const void *b)
{
	const struct wd_inode_pid *x = a, *y = b;

	return x->inode < y->inode ? -1 : x->inode > y->inode;
}

static int add_owner(struct wd_snapshot *s, unsigned long inode, uint32_t pid)
{
	struct wd_inode_pid *nv;

	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 256;

		nv = realloc(s->owners, cap * sizeof(*nv));
		if (!nv)
			return -ENOMEM;
		s->owners = nv;
		s->cap = cap;
	}
	s->owners[s->n].inode = inode;
	s->owners[s->n].pid = pid;
	s->n++;
	return 0;
}

/* The socket inodes open in ROOT/PID/fd, added to the owners. */
static int scan_fds(struct wd_snapshot *s, unsigned long pid)
{
	char path[300], lpath[600], link[64];
	struct dirent *fe;
	int err = 0;
	DIR *fd;

	snprintf(path, sizeof(path), "%s/%lu/fd", s->proc_root, pid);
	fd = opendir(path);
	if (!fd)
		return 0; /* gone, or not ours to read */
	while (!err && (fe = readdir(fd))) {
		ssize_t l;

		if (fe->d_name[0] == '.')
			continue;
		snprintf(lpath, sizeof(lpath), "%s/%s", path, fe->d_name);
		l = readlink(lpath, link, sizeof(link) - 1);
		if (l <= 8 || strncmp(link, "socket:[", 8))
			continue;
		link[l] = '\0';
		err = add_owner(s, strtoul(link + 8, NULL, 10), (uint32_t)pid);
	}
	closedir(fd);
	return err;
}

void wd_snapshot_end(struct wd_snapshot *s)
{
	if (s->dir)
		closedir(s->dir);
	free(s->owners);
	*s = (struct wd_snapshot){ 0 };
}

int wd_snapshot_begin(struct wd_snapshot *s, const char *proc_root, bool tcp,
		      bool udp)
{
	wd_snapshot_end(s);
	s->dir = opendir(proc_root);
	if (!s->dir)
		return -errno;
	s->proc_root = proc_root;
	s->tcp = tcp;
	s->udp = udp;
	return 0;
}

/*
 * Walk on through ROOT/PID/fd until the walk ends (0) or budget_ns has
 * gone (-EINPROGRESS); at least one process per call.
 */
static int walk_owners(struct wd_snapshot *s, int64_t budget_ns)
{
	int64_t t0 = wd_clock_ns(CLOCK_MONOTONIC);
	struct dirent *de;
	int err;

	while ((de = readdir(s->dir))) {
		char *end;
		unsigned long pid = strtoul(de->d_name, &end, 10);

		if (*end || pid == 0)
			continue;
		err = scan_fds(s, pid);
		if (err)
			return err;
		if (wd_clock_ns(CLOCK_MONOTONIC) - t0 >= budget_ns)
			return -EINPROGRESS;
	}
	closedir(s->dir);
	s->dir = NULL;
	if (s->n)
		qsort(s->owners, s->n, sizeof(*s->owners), cmp_inode);
	return 0;
}

static uint32_t owner(const struct wd_inode_pid *v, size_t n, unsigned long inode)
{
	struct wd_inode_pid key = { .inode = inode };
	const struct wd_inode_pid *hit;

	if (!n)
		return 0;
	hit = bsearch(&key, v, n, sizeof(*v), cmp_inode);
	return hit ? hit->pid : 0;
}

/* "0100007F" (one host-order word per 8 hex digits) -> address bytes. */
static int parse_hex_addr(const char *s, size_t words, uint8_t *out)
{
	for (size_t w = 0; w < words; w++) {
		char buf[9];
		uint32_t v;

		memcpy(buf, s + 8 * w, 8);
		buf[8] = '\0';
		for (int i = 0; i < 8; i++)
			if (!isxdigit((unsigned char)buf[i]))
				return -EINVAL;
		v = (uint32_t)strtoul(buf, NULL, 16);
		memcpy(out + 4 * w, &v, 4); /* the kernel printed its own byte order */
	}
	return 0;
}

int wd_parse_proc_net_line(const char *line, int family, struct wd_listener *l,
			   unsigned int *state, unsigned long *inode)
{
	size_t words = family == AF_INET ? 1 : 4;
	char local[64], rem[64];
	unsigned int st, port;
	const char *colon;

	/* "  sl  local_address rem_address   st tx_queue:rx_queue tr:tm->when
	 *  retrnsmt   uid  timeout inode" */
	if (sscanf(line, " %*d: %63s %63s %x %*s %*s %*s %*u %*d %lu", local, rem, &st,
		   inode) != 4)
		return -EINVAL;
	colon = strchr(local, ':');
	if (!colon || (size_t)(colon - local) != 8 * words ||
	    sscanf(colon + 1, "%x", &port) != 1)
		return -EINVAL;
	memset(l, 0, sizeof(*l));
	if (parse_hex_addr(local, words, l->addr))
		return -EINVAL;
	l->family = family;
	l->port = (uint16_t)port;
	*state = st;
	return 0;
}

static int scan(const char *root, const char *file, int family, int protocol,
		const struct wd_inode_pid *owners, size_t nowners, wd_listener_fn fn,
		void *ctx)
{
	char path[300], line[512];
	FILE *f;
	int n = 0;

	snprintf(path, sizeof(path), "%s/net/%s", root, file);
	f = fopen(path, "re");
	if (!f)
		return 0; /* no IPv6, say */
	if (!fgets(line, sizeof(line), f)) { /* header */
		fclose(f);
		return 0;
	}
	while (fgets(line, sizeof(line), f)) {
		struct wd_listener l;
		unsigned long inode;
		unsigned int st;

		if (wd_parse_proc_net_line(line, family, &l, &st, &inode))
			continue;
		/* TCP: LISTEN (0x0A). UDP: bound and not connected (0x07). */
		if ((protocol == IPPROTO_TCP && st != 0x0a) ||
		    (protocol == IPPROTO_UDP && (st != 0x07 || l.port == 0)))
			continue;
		l.protocol = protocol;
		l.pid = owner(owners, nowners, inode);
		if (!l.pid)
			continue; /* a kernel socket, or its owner just exited */
		fn(ctx, &l);
		n++;
	}
	fclose(f);
	return n;
}

int wd_snapshot_step(struct wd_snapshot *s, int64_t budget_ns, wd_listener_fn fn,
		     void *ctx)
{
	const char *root = s->proc_root;
	int n = 0, err;

	if (!s->dir)
		return -EINVAL; /* not begun, or ended */
	err = walk_owners(s, budget_ns);
	if (err == -EINPROGRESS)
		return err;
	if (err) {
		wd_snapshot_end(s);
		return err;
	}
	if (s->tcp) {
		n += scan(root, "tcp", AF_INET, IPPROTO_TCP, s->owners, s->n, fn, ctx);
		n += scan(root, "tcp6", AF_INET6, IPPROTO_TCP, s->owners, s->n, fn, ctx);
	}
	if (s->udp) {
		n += scan(root, "udp", AF_INET, IPPROTO_UDP, s->owners, s->n, fn, ctx);
		n += scan(root, "udp6", AF_INET6, IPPROTO_UDP, s->owners, s->n, fn, ctx);
	}
	wd_snapshot_end(s);
	return n;
}

int wd_snapshot_listeners(const char *proc_root, bool tcp, bool udp,
			  wd_listener_fn fn, void *ctx)
{
	struct wd_snapshot s = { 0 };
	int err = wd_snapshot_begin(&s, proc_root, tcp, udp);

	return err ? err : wd_snapshot_step(&s, INT64_MAX, fn, ctx);
}
