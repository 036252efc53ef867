// SPDX-License-Identifier: GPL-2.0-only
/* wd_config_print: the effective configuration, for --check-config. */
#include <stdio.h>
#include <arpa/inet.h>
#include <sys/socket.h>

#include "config/config.h"
#include "config/schema.h"
#include "output/sink.h"
#include "util/variant.h"
#include "wd_filter.h"

static void print_ports(FILE *f, const struct wd_port_list *l)
{
	for (size_t i = 0; i < l->n; i++) {
		if (l->v[i].lo == l->v[i].hi)
			fprintf(f, "%s%u", i ? "," : "", l->v[i].lo);
		else
			fprintf(f, "%s%u-%u", i ? "," : "", l->v[i].lo, l->v[i].hi);
	}
}

static void print_filter(FILE *f, const struct wd_net_filter *nf)
{
	char a[INET6_ADDRSTRLEN];

	inet_ntop(nf->family, nf->addr, a, sizeof(a));
	fprintf(f, "  %s/%u: ", a, nf->prefixlen);
	if (nf->mode == WD_PORTS_ALL) {
		fputs("all ports", f);
	} else {
		fputs(nf->mode == WD_PORTS_EXCEPT ? "all ports except " : "only ports ", f);
		print_ports(f, &nf->ports);
	}
	if (nf->description || nf->name)
		fprintf(f, "  # %s", nf->description ? nf->description : nf->name);
	fputc('\n', f);
}

/* The keys every probe has. */
static void print_probe(FILE *f, const char *name, const struct wd_probe_config *pc)
{
	if (!pc->enabled)
		return;
	fprintf(f, "%s.filters: %zu (dropped in the kernel)\n", name, pc->nfilters);
	for (size_t i = 0; i < pc->nfilters; i++)
		print_filter(f, &pc->filters[i]);
	if (pc->includeports.n) {
		fprintf(f, "%s.includeports: ", name);
		print_ports(f, &pc->includeports);
		fputc('\n', f);
	}
	if (pc->excludeports.n) {
		fprintf(f, "%s.excludeports: ", name);
		print_ports(f, &pc->excludeports);
		fprintf(f, "%s\n", pc->includeports.n ? " (ignored: includeports wins)" : "");
	}
	wd_print_probe_extras(f, name, pc);
}

static void print_agent(const struct wd_config *cfg, FILE *f)
{
	fprintf(f, "agent.output: %s\n", wd_config_output(cfg));
	fprintf(f, "agent.syslog_facility: %s\n",
		wd_syslog_facility_name(cfg->syslog_facility));
	fprintf(f, "agent.syslog_ident: %s\n", cfg->syslog_ident);
	fprintf(f, "agent.syslog_socket: %s\n",
		cfg->syslog_socket ? cfg->syslog_socket : WD_SYSLOG_SOCKET);
	fprintf(f, "agent.ring_buffer_size: %u\n", cfg->ring_buffer_bytes);
	fprintf(f, "agent.process_cache_size: %u\n", cfg->process_cache_size);
	fprintf(f, "agent.process_cache_bytes: %llu\n",
		(unsigned long long)cfg->process_cache_bytes);
	if (cfg->max_event_size == WD_MAX_EVENT_UNSET)
		fprintf(f, "agent.max_event_size: 8000 for syslog, no limit otherwise\n");
	else
		fprintf(f, "agent.max_event_size: %u\n", cfg->max_event_size);
	fprintf(f, "agent.variant: %s\n",
		cfg->variant == WD_VARIANT_NONE ? "auto" : wd_variant_name(cfg->variant));
	fprintf(f, "agent.stats_interval: %u\n", cfg->stats_interval);
	fprintf(f, "agent.output_buffer: %llu\n",
		(unsigned long long)cfg->output_buffer_bytes);
	fprintf(f, "agent.watch_config: %s\n", cfg->watch_config ? "true" : "false");
	fprintf(f, "agent.dns_names: %s\n", cfg->dns_names ? "true" : "false");
	fprintf(f, "agent.metrics_file: %s\n", cfg->metrics_file ? cfg->metrics_file : "none");
	fprintf(f, "agent.repeat_limit: window %u s, burst %u%s\n", cfg->repeat_window,
		cfg->repeat_burst, cfg->repeat_window ? "" : " (off)");
	wd_print_agent_containers(f, cfg);
}

static void print_net_listen(const struct wd_probe_config *pc, FILE *f)
{
	fprintf(f, "net_listen: %s\n", pc->enabled ? "enabled" : "disabled");
	if (pc->enabled) {
		fprintf(f, "net_listen.protocols: %s%s%s\n", pc->listen_tcp ? "tcp" : "",
			pc->listen_tcp && pc->listen_udp ? "," : "",
			pc->listen_udp ? "udp" : "");
		fprintf(f, "net_listen.snapshot_periodicity: %u\n", pc->snapshot_periodicity);
		fprintf(f, "net_listen.same_namespace_only: %s\n",
			pc->same_namespace_only ? "true" : "false");
		fprintf(f, "net_listen.exclude_random_bind: %s\n",
			pc->exclude_random_bind ? "true" : "false");
	}
	print_probe(f, "net_listen", pc);
}

static void print_udp_session(const struct wd_probe_config *pc, FILE *f)
{
	fprintf(f, "udp_session: %s\n", pc->enabled ? "enabled" : "disabled");
	if (pc->enabled) {
		fprintf(f, "udp_session.session_max_duration: %u\n", pc->session_max_duration);
		fprintf(f, "udp_session.emit_on_first_datagram: %s\n",
			pc->emit_on_first_datagram ? "true" : "false");
	}
	print_probe(f, "udp_session", pc);
}

void wd_config_print(const struct wd_config *cfg, FILE *f)
{
	fprintf(f, "config: %s\n", cfg->source ? cfg->source : "<none>");
	print_agent(cfg, f);
	fprintf(f, "tcp_connect: %s\n", cfg->tcp_connect.enabled ? "enabled" : "disabled");
	print_probe(f, "tcp_connect", &cfg->tcp_connect);
	print_net_listen(&cfg->net_listen, f);
	print_udp_session(&cfg->udp_session, f);
	fprintf(f, "dns: %s\n", cfg->dns.enabled ? "enabled" : "disabled");
	if (cfg->dns.enabled)
		fprintf(f, "dns.filters: %zu (on the answers' addresses, in userland)\n",
			cfg->dns.nfilters);
	for (size_t i = 0; cfg->dns.enabled && i < cfg->dns.nfilters; i++)
		print_filter(f, &cfg->dns.filters[i]);
	wd_rules_print(&cfg->rules, f, true);
}
