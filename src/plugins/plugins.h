/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * pidtree-bcc's plugins at work (their settings: config/plugins.c):
 * sourceipmap adds "<attribute_key>":"<name of saddr>" ("" when no hostfile
 * names it) to tcp_connect events; loginuidmap with top_level puts
 * "loginuid"/"loginname" of the event's process at the top level instead of
 * in each proctree node (whodunit's default, and loginuidmap's without
 * top_level).
 */
#ifndef WD_PLUGINS_H
#define WD_PLUGINS_H

#include <stdbool.h>

#include "config/config.h"
#include "output/json.h"
#include "plugins/hosts.h"
#include "wd_abi.h"

struct wd_plugins {
	const struct wd_config *cfg;
	struct wd_sourceipmap sip; /* tcp_connect's */
};

/* (Re)read what the config's plugins need. Failures are logged. */
void wd_plugins_settings(struct wd_plugins *pl, const struct wd_config *cfg);
/* Files changed? (sourceipmap: every 2 s at most) */
void wd_plugins_tick(struct wd_plugins *pl);
void wd_plugins_free(struct wd_plugins *pl);

/* The top-level members the plugins add to a tcp_connect event. */
void wd_plugins_put_connect(struct wd_buf *b, struct wd_plugins *pl,
			    const struct wd_connect_event *e);
/* loginuidmap top_level for the probe of record type (WD_EV_*)? */
bool wd_plugins_loginuid_top(const struct wd_plugins *pl, int type);

#endif
