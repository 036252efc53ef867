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

struct inode_pid {
	unsigned long inode;
	uint32_t pid;
};

static int cmp_inode(const void *a, const void *b)
{
	const struct inode_pid *x = a, *y = b;

	return x->inode < y->inode ? -1 : x->inode > y->inode;
}

/* Every socket inode open in some process, sorted, with one owner. */
static int socket_owners(const char *root, struct inode_pid **out, size_t *n)
{
	struct inode_pid *v = NULL, *nv;
	size_t cap = 0, cnt = 0;
	struct dirent *de;
	DIR *d = opendir(root);

	if (!d)
		return -errno;
	while ((de = readdir(d))) {
		char path[300], link[64];
		struct dirent *fe;
		DIR *fd;
		char *end;
		unsigned long pid = strtoul(de->d_name, &end, 10);

		if (*end || pid == 0)
			continue;
		snprintf(path, sizeof(path), "%s/%lu/fd", root, pid);
		fd = opendir(path);
		if (!fd)
			continue;
		while ((fe = readdir(fd))) {
			char lpath[600];
			ssize_t l;

			if (fe->d_name[0] == '.')
				continue;
			snprintf(lpath, sizeof(lpath), "%s/%s", path, fe->d_name);
			l = readlink(lpath, link, sizeof(link) - 1);
			if (l <= 8 || strncmp(link, "socket:[", 8))
				continue;
			link[l] = '\0';
			if (cnt == cap) {
				cap = cap ? cap * 2 : 256;
				nv = realloc(v, cap * sizeof(*v));
				if (!nv) {
					closedir(fd);
					closedir(d);
					free(v);
					return -ENOMEM;
				}
				v = nv;
			}
			v[cnt].inode = strtoul(link + 8, NULL, 10);
			v[cnt].pid = (uint32_t)pid;
			cnt++;
		}
		closedir(fd);
	}
	closedir(d);
	if (cnt)
		qsort(v, cnt, sizeof(*v), cmp_inode);
	*out = v;
	*n = cnt;
	return 0;
}

static uint32_t owner(const struct inode_pid *v, size_t n, unsigned long inode)
{
	struct inode_pid key = { .inode = inode };
	const struct inode_pid *hit;

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
		const struct inode_pid *owners, size_t nowners, wd_listener_fn fn,
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

int wd_snapshot_listeners(const char *proc_root, bool tcp, bool udp,
			  wd_listener_fn fn, void *ctx)
{
	struct inode_pid *owners = NULL;
	size_t nowners = 0;
	int n = 0, err;

	err = socket_owners(proc_root, &owners, &nowners);
	if (err)
		return err;
	if (tcp) {
		n += scan(proc_root, "tcp", AF_INET, IPPROTO_TCP, owners, nowners, fn, ctx);
		n += scan(proc_root, "tcp6", AF_INET6, IPPROTO_TCP, owners, nowners, fn, ctx);
	}
	if (udp) {
		n += scan(proc_root, "udp", AF_INET, IPPROTO_UDP, owners, nowners, fn, ctx);
		n += scan(proc_root, "udp6", AF_INET6, IPPROTO_UDP, owners, nowners, fn, ctx);
	}
	free(owners);
	return n;
}
