// SPDX-License-Identifier: GPL-2.0-only
/* The maps of container_labels (bpf/lib/container.h), for the container room. */
#include <bpf/libbpf.h>

#include "loader/loader.h"
#include "whodunit.skel.h"

void wd_loader_container_maps(const struct wd_loader *l, int *allow_fd, int *mode_fd)
{
	*allow_fd = l->skel ? bpf_map__fd(l->skel->maps.wd_ctr_allow) : -1;
	*mode_fd = l->skel ? bpf_map__fd(l->skel->maps.wd_ctr_mode) : -1;
}
