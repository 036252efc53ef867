// SPDX-License-Identifier: GPL-2.0-only
/* pidtree-bcc's plugins at work (plugins.h). */
#include <arpa/inet.h>
#include <string.h>
#include <sys/socket.h>

#include "plugins/plugins.h"
#include "util/log.h"

void wd_plugins_settings(struct wd_plugins *pl, const struct wd_config *cfg)
{
	const struct wd_plugins_config *p = &cfg->tcp_connect.plug;
	int err;

	pl->cfg = cfg;
	if (!cfg->tcp_connect.enabled || !p->sourceipmap) {
		wd_sourceipmap_free(&pl->sip);
		return;
	}
	err = wd_sourceipmap_load(&pl->sip, p->hostfiles, p->nhostfiles);
	if (err) { /* (the old file names may be gone with the old config) */
		wd_warn("sourceipmap: hostfiles: %s; source names are empty", strerror(-err));
		wd_sourceipmap_free(&pl->sip);
	}
}

void wd_plugins_tick(struct wd_plugins *pl)
{
	wd_sourceipmap_check(&pl->sip);
}

void wd_plugins_free(struct wd_plugins *pl)
{
	wd_sourceipmap_free(&pl->sip);
}

void wd_plugins_put_connect(struct wd_buf *b, struct wd_plugins *pl,
			    const struct wd_connect_event *e)
{
	const struct wd_plugins_config *p;
	char s[INET6_ADDRSTRLEN];
	const char *name;

	if (!pl || !pl->cfg)
		return;
	p = &pl->cfg->tcp_connect.plug;
	if (!p->sourceipmap || !p->attribute_key)
		return;
	if (!inet_ntop(e->family == AF_INET ? AF_INET : AF_INET6, e->saddr, s, sizeof(s)))
		s[0] = '\0';
	name = wd_hosts_get(&pl->sip.map, s);
	wd_buf_putc(b, ',');
	wd_json_str(b, p->attribute_key, strlen(p->attribute_key));
	wd_buf_putc(b, ':');
	wd_json_str(b, name ? name : "", name ? strlen(name) : 0);
}

bool wd_plugins_loginuid_top(const struct wd_plugins *pl, int type)
{
	const struct wd_probe_config *pc;

	if (!pl || !pl->cfg)
		return false;
	pc = type == WD_EV_LISTEN ? &pl->cfg->net_listen :
	     type == WD_EV_TCP_CONNECT ? &pl->cfg->tcp_connect : &pl->cfg->udp_session;
	return pc->plug.loginuidmap && pc->plug.loginuid_top_level;
}
