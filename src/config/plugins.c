// SPDX-License-Identifier: GPL-2.0-only
/*
 * A probe's `plugins` (pidtree-bcc's): each a mapping of its arguments plus
 * the generic ones, `enabled` (default true) and `unload_on_init_exception`
 * (default false: a bad plugin is a bad config; true: the plugin is left
 * out with a warning). Unknown plugins are an error either way, as they
 * are in pidtree-bcc without unload_on_init_exception.
 *   sourceipmap  hostfiles (list of existing files, required),
 *                attribute_key (default source_host); tcp_connect only
 *   loginuidmap  top_level (default false)
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "config/schema.h"
#include "util/strings.h"

struct plugin_state {
	struct wd_probe_config *pc;
	const char *probe;
	const char *name;
	struct wd_plugins_config tmp; /* what this plugin sets, kept if it loads */
	bool enabled, unload;
};

static const char *const known_plugins[] = { "sourceipmap", "loginuidmap", NULL };

static int hostfile_item(struct wd_reader *r, yaml_node_t *n, void *arg)
{
	struct wd_plugins_config *p = arg;
	const char *s = wd_rd_scalar(n);
	struct stat st;
	char **v;

	if (!s || !*s)
		return wd_rd_fail(r, n, "sourceipmap: a hostfiles entry must be a file name");
	if (stat(s, &st) || !S_ISREG(st.st_mode))
		return wd_rd_fail(r, n, "sourceipmap: hostfile %s does not exist (or is not "
					"a regular file)", s);
	v = realloc(p->hostfiles, (p->nhostfiles + 1) * sizeof(*v));
	if (!v)
		return -ENOMEM;
	p->hostfiles = v;
	v[p->nhostfiles] = strdup(s);
	if (!v[p->nhostfiles])
		return -ENOMEM;
	p->nhostfiles++;
	return 0;
}

static int arg_pair(struct wd_reader *r, yaml_node_t *k, yaml_node_t *v, void *arg)
{
	struct plugin_state *st = arg;
	const char *key = wd_rd_scalar(k), *s = NULL;
	int err;

	if (!strcmp(key, "enabled") || !strcmp(key, "unload_on_init_exception"))
		return 0; /* read first */
	if (!strcmp(st->name, "loginuidmap") && !strcmp(key, "top_level"))
		return wd_rd_get_bool(r, v, key, &st->tmp.loginuid_top_level);
	if (!strcmp(st->name, "sourceipmap") && !strcmp(key, "hostfiles")) {
		if (v->type != YAML_SEQUENCE_NODE)
			return wd_rd_fail(r, v, "sourceipmap: hostfiles should be a list of "
						"fully qualified file paths");
		return wd_rd_each_item(r, v, hostfile_item, &st->tmp);
	}
	if (!strcmp(st->name, "sourceipmap") && !strcmp(key, "attribute_key")) {
		err = wd_rd_get_string(r, v, key, &s);
		if (!err && !*s)
			err = wd_rd_fail(r, v, "sourceipmap: attribute_key must not be empty");
		return err ? err : wd_set_str(&st->tmp.attribute_key, s);
	}
	return wd_rd_fail(r, k, "plugin %s has no argument '%s'", st->name, key);
}

/* enabled and unload_on_init_exception, before the rest. */
static int generic_args(struct wd_reader *r, yaml_node_t *n, struct plugin_state *st)
{
	yaml_node_pair_t *p;

	for (p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top; p++) {
		yaml_node_t *k = wd_rd_node(r, p->key), *v = wd_rd_node(r, p->value);
		const char *key = wd_rd_scalar(k);
		int err = 0;

		if (key && !strcmp(key, "enabled"))
			err = wd_rd_get_bool(r, v, key, &st->enabled);
		else if (key && !strcmp(key, "unload_on_init_exception"))
			err = wd_rd_get_bool(r, v, key, &st->unload);
		if (err)
			return err;
	}
	return 0;
}

static void tmp_free(struct wd_plugins_config *p)
{
	for (size_t i = 0; i < p->nhostfiles; i++)
		free(p->hostfiles[i]);
	free(p->hostfiles);
	free(p->attribute_key);
	*p = (struct wd_plugins_config){ 0 };
}

static int plugin_args(struct wd_reader *r, yaml_node_t *n, struct plugin_state *st)
{
	int err = 0;

	if (wd_rd_is_null(n))
		return strcmp(st->name, "sourceipmap") ? 0 :
		       wd_rd_fail(r, n, "'hostfiles' option not supplied to sourceipmap plugin");
	if (n->type != YAML_MAPPING_NODE)
		return wd_rd_fail(r, n, "plugin %s: its arguments must be a mapping", st->name);
	err = generic_args(r, n, st);
	if (err || !st->enabled)
		return err;
	err = wd_rd_each_pair(r, n, st->name, arg_pair, st);
	if (!err && !strcmp(st->name, "sourceipmap") && !st->tmp.nhostfiles)
		err = wd_rd_fail(r, n, "'hostfiles' option not supplied to sourceipmap plugin");
	if (!err && !strcmp(st->name, "sourceipmap") && strcmp(st->probe, "tcp_connect"))
		err = wd_rd_fail(r, n, "sourceipmap supports tcp_connect only (events with "
				       "a saddr), not %s", st->probe);
	return err;
}

/* What a loaded plugin sets in the probe's config. */
static int keep(struct plugin_state *st)
{
	struct wd_plugins_config *p = &st->pc->plug;

	if (!strcmp(st->name, "loginuidmap")) {
		p->loginuidmap = true;
		p->loginuid_top_level = st->tmp.loginuid_top_level;
		return 0;
	}
	tmp_free(&(struct wd_plugins_config){ .hostfiles = p->hostfiles,
					      .nhostfiles = p->nhostfiles,
					      .attribute_key = p->attribute_key });
	p->sourceipmap = true;
	p->hostfiles = st->tmp.hostfiles;
	p->nhostfiles = st->tmp.nhostfiles;
	p->attribute_key = st->tmp.attribute_key ? st->tmp.attribute_key : strdup("source_host");
	st->tmp = (struct wd_plugins_config){ 0 };
	return p->attribute_key ? 0 : -ENOMEM;
}

static int plugin_pair(struct wd_reader *r, yaml_node_t *k, yaml_node_t *v, void *arg)
{
	struct plugin_state st = *(struct plugin_state *)arg;
	struct wd_probe_config *pc = st.pc;
	char **np;
	size_t i;
	int err;

	st.name = wd_rd_scalar(k);
	st.enabled = true;
	st.unload = false;
	for (i = 0; known_plugins[i]; i++)
		if (!strcmp(known_plugins[i], st.name))
			break;
	if (!known_plugins[i])
		return wd_rd_unknown_key(r, k, "plugins", known_plugins);
	np = realloc(pc->plugins, (pc->nplugins + 1) * sizeof(*np));
	if (!np)
		return -ENOMEM;
	pc->plugins = np;
	pc->plugins[pc->nplugins] = strdup(st.name);
	if (!pc->plugins[pc->nplugins])
		return -ENOMEM;
	pc->nplugins++;
	err = plugin_args(r, v, &st);
	if (err == -EINVAL && st.unload) {
		wd_rd_warn(r, k, "plugin %s not loaded (unload_on_init_exception): %s",
			   st.name, wd_rd_error(r));
		err = 0;
		st.enabled = false;
	}
	if (!err && st.enabled)
		err = keep(&st);
	tmp_free(&st.tmp);
	return err;
}

int wd_schema_plugins(struct wd_reader *r, yaml_node_t *n, struct wd_probe_config *pc,
		      const char *probe)
{
	struct plugin_state st = { .pc = pc, .probe = probe };

	if (wd_rd_is_null(n))
		return 0;
	return wd_rd_each_pair(r, n, "plugins", plugin_pair, &st);
}

void wd_plugins_config_free(struct wd_plugins_config *p)
{
	tmp_free(p);
}

/* ---- agent keys of the container room ------------------------------------ */

int wd_schema_labels_max(struct wd_reader *r, yaml_node_t *v, struct wd_config *cfg)
{
	return wd_rd_get_u32(r, v, 0, 256, "container_labels_max must be 0 to 256",
			     &cfg->container_labels_max);
}

static int bundle_dir_item(struct wd_reader *r, yaml_node_t *n, void *arg)
{
	struct wd_config *cfg = arg;
	const char *s = wd_rd_scalar(n);
	char **v;

	if (!s || s[0] != '/' || strlen(s) >= 400)
		return wd_rd_fail(r, n, "container_bundle_dirs: entries must be absolute paths");
	v = realloc(cfg->container_bundle_dirs, (cfg->ncontainer_bundle_dirs + 1) * sizeof(*v));
	if (!v)
		return -ENOMEM;
	cfg->container_bundle_dirs = v;
	v[cfg->ncontainer_bundle_dirs] = strdup(s);
	if (!v[cfg->ncontainer_bundle_dirs])
		return -ENOMEM;
	cfg->ncontainer_bundle_dirs++;
	return 0;
}

int wd_schema_bundle_dirs(struct wd_reader *r, yaml_node_t *v, struct wd_config *cfg)
{
	if (v->type != YAML_SEQUENCE_NODE)
		return wd_rd_fail(r, v, "container_bundle_dirs must be a list of directories");
	return wd_rd_each_item(r, v, bundle_dir_item, cfg);
}

void wd_schema_containers_free(struct wd_config *cfg)
{
	for (size_t i = 0; i < cfg->ncontainer_bundle_dirs; i++)
		free(cfg->container_bundle_dirs[i]);
	free(cfg->container_bundle_dirs);
	cfg->container_bundle_dirs = NULL;
	cfg->ncontainer_bundle_dirs = 0;
}

void wd_schema_probe_containers_free(struct wd_probe_config *pc)
{
	for (size_t i = 0; i < pc->ncontainer_labels; i++)
		free(pc->container_labels[i]);
	free(pc->container_labels);
	wd_plugins_config_free(&pc->plug);
}

/* ---- --check-config ------------------------------------------------------ */

void wd_print_probe_extras(FILE *f, const char *name, const struct wd_probe_config *pc)
{
	const struct wd_plugins_config *p = &pc->plug;

	for (size_t i = 0; i < pc->ncontainer_labels; i++)
		fprintf(f, "%s.container_labels: %s%s\n", name, pc->container_labels[i],
			i ? " (or)" : " (only containers matching; decided in the kernel)");
	for (size_t i = 0; i < pc->nplugins; i++) {
		const char *pn = pc->plugins[i];
		bool on = !strcmp(pn, "sourceipmap") ? p->sourceipmap : p->loginuidmap;

		fprintf(f, "%s.plugins.%s: %s", name, pn, on ? "enabled" : "not loaded");
		if (on && !strcmp(pn, "sourceipmap")) {
			fprintf(f, ", attribute_key %s, hostfiles", p->attribute_key);
			for (size_t k = 0; k < p->nhostfiles; k++)
				fprintf(f, " %s", p->hostfiles[k]);
		}
		if (on && !strcmp(pn, "loginuidmap"))
			fprintf(f, ", top_level %s", p->loginuid_top_level ? "true" : "false");
		fputc('\n', f);
	}
}

void wd_print_agent_containers(FILE *f, const struct wd_config *cfg)
{
	fprintf(f, "agent.container_labels_max: %u\n", cfg->container_labels_max);
	fputs("agent.container_bundle_dirs:", f);
	if (!cfg->container_bundle_dirs)
		fputs(" (default)", f);
	for (size_t i = 0; i < cfg->ncontainer_bundle_dirs; i++)
		fprintf(f, " %s", cfg->container_bundle_dirs[i]);
	fputc('\n', f);
	fprintf(f, "agent.docker_data_root: %s\n", cfg->docker_data_root ? cfg->docker_data_root :
		"(default: data-root of /etc/docker/daemon.json, else /var/lib/docker)");
}
