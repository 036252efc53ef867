// SPDX-License-Identifier: GPL-2.0-only
/* Container identity, runtime answers, container_labels, hosts files. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config/config.h"
#include "container/cgroup.h"
#include "container/container.h"
#include "container/runtime.h"
#include "plugins/hosts.h"

#define ID "5a9e9ebcebc7d77dabde786b65c399669f823008e5b78d94312df3f25a43c19c"

static enum wd_ctr_runtime path_rt(const char *path, char *id)
{
	return wd_cgroup_path_container(path, strlen(path), id);
}

Test(cgroup, the_runtimes_layouts)
{
	static const struct {
		const char *path;
		enum wd_ctr_runtime rt;
	} cases[] = {
		{ "/system.slice/docker-" ID ".scope", WD_RT_DOCKER },
		{ "/machine.slice/libpod-" ID ".scope", WD_RT_PODMAN },
		{ "/machine.slice/libpod-" ID ".scope/container", WD_RT_PODMAN },
		{ "/libpod_parent/libpod-" ID, WD_RT_PODMAN },
		{ "/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod1234.slice/"
		  "cri-containerd-" ID ".scope", WD_RT_CONTAINERD },
		{ "/kubepods.slice/kubepods-burstable.slice/crio-" ID ".scope", WD_RT_CRIO },
		{ "/docker/" ID, WD_RT_DOCKER },
		{ "/kubepods/besteffort/pod0f1e2d3c-aaaa-bbbb-cccc-0123456789ab/" ID, WD_RT_KUBE },
		{ "/kubepods/pod1/" ID, WD_RT_KUBE },
	};
	char id[WD_CTR_ID_LEN + 1];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		cr_assert_eq(path_rt(cases[i].path, id), cases[i].rt, "%s", cases[i].path);
		cr_assert_str_eq(id, ID, "%s", cases[i].path);
	}
}

Test(cgroup, host_paths_and_near_misses)
{
	static const char *const paths[] = {
		"/", "", "/user.slice/user-0.slice/session-1.scope", "/system.slice/ssh.service",
		"/machine.slice/libpod-conmon-" ID ".scope", /* conmon, not the container */
		"/libpod_parent/conmon",
		"/system.slice/docker-" ID ".scopex",
		"/docker/" "5A9E9EBCEBC7D77DABDE786B65C399669F823008E5B78D94312DF3F25A43C19C",
		"/docker/5a9e9ebc", /* short id */
		"/somewhere/" ID,   /* a bare id under nothing known */
	};
	char id[WD_CTR_ID_LEN + 1];

	for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++)
		cr_assert_eq(path_rt(paths[i], id), WD_RT_NONE, "%s", paths[i]);
}

Test(cgroup, proc_text_v2_first_then_v1)
{
	static const char hybrid[] = "9:name=systemd:/libpod_parent/libpod-" ID "\n"
				     "4:memory:/libpod_parent/libpod-" ID "\n"
				     "0::/libpod_parent/libpod-" ID "\n";
	static const char v1only[] = "12:pids:/docker/" ID "\n1:name=systemd:/docker/" ID "\n"
				     "0::/\n";
	static const char host[] = "4:memory:/user.slice\n0::/user.slice/session-3.scope\n";
	char id[WD_CTR_ID_LEN + 1], v2[256];
	bool v1;

	cr_assert_eq(wd_cgroup_text_container(hybrid, strlen(hybrid), id, v2, sizeof(v2), &v1),
		     WD_RT_PODMAN);
	cr_assert(!v1);
	cr_assert_str_eq(v2, "/libpod_parent/libpod-" ID);
	cr_assert_eq(wd_cgroup_text_container(v1only, strlen(v1only), id, v2, sizeof(v2), &v1),
		     WD_RT_DOCKER);
	cr_assert(v1);
	cr_assert_str_eq(id, ID);
	cr_assert_str_eq(v2, "/");
	cr_assert_eq(wd_cgroup_text_container(host, strlen(host), id, v2, sizeof(v2), &v1),
		     WD_RT_NONE);
	cr_assert_str_eq(v2, "/user.slice/session-3.scope");
}

/* ---- runtime answers ----------------------------------------------------- */

Test(runtime, docker_inspect)
{
	/* The shape of Docker Engine API's GET /containers/{id}/json (abridged). */
	const char *s = "{\"Id\":\"" ID "\",\"Name\":\"/web-1\",\"State\":{\"Pid\":42},"
			"\"Config\":{\"Image\":\"nginx:1.25\",\"Labels\":{\"team\":\"blue\","
			"\"app\":\"web\",\"com.docker.compose.service\":\"web\"}}}";
	struct wd_container c = { .id = ID };

	cr_assert_eq(wd_rt_from_inspect(&c, s, strlen(s)), 0);
	cr_assert_str_eq(c.name, "web-1");
	cr_assert_str_eq(c.image, "nginx:1.25");
	cr_assert_eq(c.nlabels, 3);
	cr_assert_str_eq(c.label_keys[0], "app"); /* sorted */
	cr_assert_str_eq(wd_container_label(&c, "team"), "blue");
	cr_assert_null(wd_container_label(&c, "nope"));
	wd_container_clear(&c);
	cr_assert_eq(wd_rt_from_inspect(&c, "{\"Name\":", 8), -EINVAL);
	wd_container_clear(&c);
}

/* dockerd's containers/ID/config.v2.json first; the API is not asked then. */
Test(runtime, docker_state_file_first)
{
	/* the keys of Docker 20.10's config.v2.json that matter (abridged) */
	static const char cfg[] = "{\"StreamConfig\":{},\"State\":{\"Running\":true},"
		"\"ID\":\"" ID "\",\"Config\":{\"Image\":\"wd-gt:1\",\"Labels\":"
		"{\"team\":\"green\"}},\"Name\":\"/wd-green\"}";
	char root[] = "/tmp/wd-docker-XXXXXX", path[256];
	struct wd_rt_paths p = { .docker_sock = "/nonexistent/docker.sock", .timeout_ms = 50 };
	struct wd_container c = { .id = ID };
	FILE *f;

	cr_assert(mkdtemp(root));
	p.docker_root = root;
	/* no file: the API is asked, and is not there */
	cr_assert_lt(wd_rt_resolve(&c, WD_RT_DOCKER, &p), 0);
	wd_container_clear(&c);
	snprintf(path, sizeof(path), "%s/containers", root);
	cr_assert_eq(mkdir(path, 0700), 0);
	snprintf(path, sizeof(path), "%s/containers/%s", root, ID);
	cr_assert_eq(mkdir(path, 0700), 0);
	snprintf(path, sizeof(path), "%s/containers/%s/config.v2.json", root, ID);
	f = fopen(path, "w");
	cr_assert(f);
	fputs(cfg, f);
	fclose(f);
	cr_assert_eq(wd_rt_resolve(&c, WD_RT_DOCKER, &p), 0);
	cr_assert_str_eq(c.runtime, "docker");
	cr_assert_str_eq(c.name, "wd-green");
	cr_assert_str_eq(c.image, "wd-gt:1");
	cr_assert_str_eq(wd_container_label(&c, "team"), "green");
	wd_container_clear(&c);
	unlink(path);
	snprintf(path, sizeof(path), "%s/containers/%s", root, ID);
	rmdir(path);
	snprintf(path, sizeof(path), "%s/containers", root);
	rmdir(path);
	rmdir(root);
}

static int docker_root_of(const char *json, char *buf, size_t len)
{
	char path[] = "/tmp/wd-daemon-json-XXXXXX";
	int fd = mkstemp(path), err;

	cr_assert_geq(fd, 0);
	cr_assert_eq(write(fd, json, strlen(json)), (ssize_t)strlen(json));
	close(fd);
	err = wd_rt_docker_root(path, buf, len);
	unlink(path);
	return err;
}

/* dockerd's data root from its daemon.json, when whodunit is not told. */
Test(runtime, docker_data_root_from_daemon_json)
{
	char buf[64];

	cr_assert_eq(docker_root_of("{\"log-driver\":\"journald\",\"data-root\":\"/srv/docker\"}",
				    buf, sizeof(buf)), 0);
	cr_assert_str_eq(buf, "/srv/docker");
	cr_assert_eq(docker_root_of("{\"graph\":\"/data/docker-old\"}", buf, sizeof(buf)), 0);
	cr_assert_str_eq(buf, "/data/docker-old");
	cr_assert_eq(docker_root_of("{\"data-root\":\"relative\"}", buf, sizeof(buf)), -ENOENT);
	cr_assert_eq(docker_root_of("{\"data-root\":\"/a/path/longer/than/the/buffer/we/give/it/here/x\"}",
				    buf, 16), -ENOENT);
	cr_assert_eq(docker_root_of("{\"debug\":true}", buf, sizeof(buf)), -ENOENT);
	cr_assert_eq(docker_root_of("{\"data-root\":", buf, sizeof(buf)), -EINVAL);
	cr_assert_eq(wd_rt_docker_root("/nonexistent/daemon.json", buf, sizeof(buf)), -ENOENT);
}

/* containerd's CRI plugin and CRI-O, as their bundles' config.json carry them. */
static const char containerd_bundle[] =
	"{\"ociVersion\":\"1.1.0\",\"process\":{\"args\":[\"/pause\"]},\"annotations\":{"
	"\"io.kubernetes.cri.container-type\":\"container\","
	"\"io.kubernetes.cri.container-name\":\"app\","
	"\"io.kubernetes.cri.image-name\":\"docker.io/library/nginx:1.25\","
	"\"io.kubernetes.cri.sandbox-id\":\"" ID "\","
	"\"io.kubernetes.cri.sandbox-name\":\"web-7d4b9\","
	"\"io.kubernetes.cri.sandbox-namespace\":\"shop\","
	"\"io.kubernetes.cri.sandbox-uid\":\"0f1e2d3c-aaaa-bbbb-cccc-0123456789ab\"}}";
static const char crio_bundle[] =
	"{\"ociVersion\":\"1.0.2-dev\",\"annotations\":{"
	"\"io.container.manager\":\"cri-o\","
	"\"io.kubernetes.cri-o.ContainerType\":\"container\","
	"\"io.kubernetes.cri-o.ImageName\":\"quay.io/app/api:2\","
	"\"io.kubernetes.container.name\":\"api\","
	"\"io.kubernetes.pod.name\":\"api-5c6f\","
	"\"io.kubernetes.pod.namespace\":\"billing\"}}";

Test(runtime, kubernetes_bundles)
{
	struct wd_container c = { .id = ID };

	cr_assert_eq(wd_rt_from_bundle(&c, containerd_bundle, strlen(containerd_bundle)), 0);
	cr_assert_str_eq(c.runtime, "containerd");
	cr_assert_str_eq(c.pod, "web-7d4b9");
	cr_assert_str_eq(c.namespace, "shop");
	cr_assert_str_eq(c.container, "app");
	cr_assert_str_eq(c.image, "docker.io/library/nginx:1.25");
	wd_container_clear(&c);
	cr_assert_eq(wd_rt_from_bundle(&c, crio_bundle, strlen(crio_bundle)), 0);
	cr_assert_str_eq(c.runtime, "cri-o");
	cr_assert_str_eq(c.pod, "api-5c6f");
	cr_assert_str_eq(c.namespace, "billing");
	cr_assert_str_eq(c.container, "api");
	cr_assert_str_eq(c.image, "quay.io/app/api:2");
	wd_container_clear(&c);
	/* podman's own config.json is not a Kubernetes bundle */
	{
		static const char pod[] = "{\"annotations\":{\"io.container.manager\":\"libpod\"}}";

		cr_assert_eq(wd_rt_from_bundle(&c, pod, strlen(pod)), -ENODATA);
	}
	wd_container_clear(&c);
}

Test(runtime, podman_bolt_state)
{
	/* bolt pages around podman 4.3's container config JSON (as found on disk). */
	static const char cfg[] = "{\"spec\":{\"ociVersion\":\"1.0.2-dev\",\"annotations\":"
				  "{\"a\":\"}\"}},\"id\":\"" ID "\",\"name\":\"wt15c\","
				  "\"rootfsImageName\":\"localhost/wt15-gt:latest\",\"labels\":"
				  "{\"team\":\"blue\",\"other\":\"x\"},\"stopSignal\":15}";
	char db[4096];
	struct wd_container c = { .id = ID };
	size_t n = 0;

	memset(db, 0, sizeof(db));
	memcpy(db + 10, "{\"spec\":{broken", 15); /* a stale fragment before it */
	memcpy(db + 100, "\"id\":\"" ID "\",", 72); /* the id alone, no object */
	memcpy(db + 1000, cfg, sizeof(cfg) - 1);
	n = 1000 + sizeof(cfg) - 1 + 500;
	cr_assert_eq(wd_rt_from_podman_db(&c, db, n), 0);
	cr_assert_str_eq(c.name, "wt15c");
	cr_assert_str_eq(c.image, "localhost/wt15-gt:latest");
	cr_assert_str_eq(wd_container_label(&c, "team"), "blue");
	wd_container_clear(&c);
	memcpy(c.id, "0" ID + 1, 64);
	c.id[0] = '0';
	cr_assert_eq(wd_rt_from_podman_db(&c, db, n), -ENOENT);
	wd_container_clear(&c);
}

/* ---- container_labels (pidtree-bcc's semantics) -------------------------- */

Test(labels, entries_or_commas_and_globs)
{
	char *keys[] = { "app", "env", "team" }, *vals[] = { "web-frontend", "prod", "blue" };
	struct wd_container c = { .id = ID, .label_keys = keys, .label_values = vals,
				  .nlabels = 3 };
	struct wd_container bare = { .id = ID };
	char *e1[] = { "team=blue" }, *e2[] = { "team=red", "app=web-*" },
	     *e3[] = { "team=blue,env=dev" }, *e4[] = { "team=b?ue,env=pr*" },
	     *e5[] = { "owner=*" }, *e6[] = { "team=*" };

	cr_assert(wd_ctr_labels_match(&c, e1, 1));
	cr_assert(wd_ctr_labels_match(&c, e2, 2));
	cr_assert(!wd_ctr_labels_match(&c, e3, 1)); /* commas AND */
	cr_assert(wd_ctr_labels_match(&c, e4, 1));
	cr_assert(!wd_ctr_labels_match(&c, e5, 1)); /* an absent label never matches */
	cr_assert(!wd_ctr_labels_match(&bare, e6, 1));
	cr_assert(!wd_ctr_labels_match(NULL, e6, 1));
	cr_assert(wd_ctr_labels_valid("team=blue"));
	cr_assert(wd_ctr_labels_valid("a=,b=*"));
	cr_assert(!wd_ctr_labels_valid("team"));
	cr_assert(!wd_ctr_labels_valid("=blue"));
	cr_assert(!wd_ctr_labels_valid("team=blue,"));
	cr_assert(!wd_ctr_labels_valid(""));
}

/* ---- sourceipmap's hosts files ------------------------------------------- */

Test(hosts, pidtree_bcc_format)
{
	/* pidtree-bcc's hosts_loader: first word the address, the rest joined by one space */
	static const char a[] = "# comment\n127.0.0.1 localhost\n\n10.0.0.1   web  web.example \n"
				"::1 ip6-localhost ip6-loopback\n0:0::0:1 replaced\n  # indented\n";
	static const char b[] = "10.0.0.1 web2\n";
	struct wd_hostmap m = { 0 };

	cr_assert_eq(wd_hosts_parse(&m, a, strlen(a)), 0);
	cr_assert_eq(wd_hosts_parse(&m, b, strlen(b)), 0);
	wd_hosts_finish(&m);
	cr_assert_str_eq(wd_hosts_get(&m, "127.0.0.1"), "localhost");
	cr_assert_str_eq(wd_hosts_get(&m, "10.0.0.1"), "web2"); /* a later file wins */
	cr_assert_str_eq(wd_hosts_get(&m, "::1"), "replaced"); /* addresses normalised */
	cr_assert_null(wd_hosts_get(&m, "10.0.0.2"));
	cr_assert_eq(m.n, 3);
	wd_hosts_free(&m);
}

/* ---- plugins and container_labels in the config -------------------------- */

static int cfg_parse(struct wd_config *cfg, const char *text, char *err, size_t len)
{
	wd_config_init(cfg);
	return wd_config_parse(cfg, "w.yaml", text, strlen(text), err, len);
}

Test(plugin_config, pidtree_bcc_arguments)
{
	struct wd_config cfg;
	char err[512] = "";

	cr_assert_eq(cfg_parse(&cfg, "tcp_connect:\n  plugins:\n    sourceipmap:\n"
				     "      hostfiles: [/etc/hosts]\n"
				     "    loginuidmap:\n      top_level: true\n"
				     "  container_labels: [\"team=blue\", \"app=web*,env=prod\"]\n",
			       err, sizeof(err)), 0, "%s", err);
	cr_assert(cfg.tcp_connect.plug.sourceipmap);
	cr_assert_str_eq(cfg.tcp_connect.plug.attribute_key, "source_host");
	cr_assert_eq(cfg.tcp_connect.plug.nhostfiles, 1);
	cr_assert(cfg.tcp_connect.plug.loginuidmap);
	cr_assert(cfg.tcp_connect.plug.loginuid_top_level);
	cr_assert_eq(cfg.tcp_connect.ncontainer_labels, 2);
	cr_assert_eq(cfg.container_labels_max, 16);
	wd_config_free(&cfg);
	/* enabled: false; a bad plugin with unload_on_init_exception is left out */
	cr_assert_eq(cfg_parse(&cfg, "tcp_connect:\n  plugins:\n    loginuidmap:\n"
				     "      enabled: false\n    sourceipmap:\n"
				     "      unload_on_init_exception: true\n"
				     "      hostfiles: [/nonexistent/hosts]\n"
				     "agent:\n  container_labels_max: 2\n"
				     "  container_bundle_dirs: [/tmp/b]\n"
				     "  docker_data_root: /srv/docker\n", err, sizeof(err)), 0,
		     "%s", err);
	cr_assert_str_eq(cfg.docker_data_root, "/srv/docker");
	cr_assert(!cfg.tcp_connect.plug.loginuidmap);
	cr_assert(!cfg.tcp_connect.plug.sourceipmap);
	cr_assert_eq(cfg.tcp_connect.nplugins, 2);
	cr_assert_eq(cfg.container_labels_max, 2);
	cr_assert_str_eq(cfg.container_bundle_dirs[0], "/tmp/b");
	wd_config_free(&cfg);
}

Test(plugin_config, errors_name_the_place)
{
	static const struct {
		const char *text, *err;
	} cases[] = {
		{ "tcp_connect:\n  plugins:\n    sourceipmap:\n      attribute_key: x\n",
		  "w.yaml:4:7: 'hostfiles' option not supplied to sourceipmap plugin" },
		{ "tcp_connect:\n  plugins:\n    sourceipmap:\n      hostfiles: [/nonexistent/h]\n",
		  "w.yaml:4:19: sourceipmap: hostfile /nonexistent/h does not exist (or is not a "
		  "regular file)" },
		{ "tcp_connect:\n  plugins:\n    sourceipmap:\n      hostfiles: /etc/hosts\n",
		  "w.yaml:4:18: sourceipmap: hostfiles should be a list of fully qualified file "
		  "paths" },
		{ "net_listen:\n  plugins:\n    sourceipmap:\n      hostfiles: [/etc/hosts]\n",
		  "w.yaml:4:7: sourceipmap supports tcp_connect only (events with a saddr), not "
		  "net_listen" },
		{ "agent:\n  docker_data_root: docker\n",
		  "w.yaml:2:21: docker_data_root must be an absolute path" },
		{ "tcp_connect:\n  plugins:\n    loginuidmap:\n      top_levl: true\n",
		  "w.yaml:4:7: plugin loginuidmap has no argument 'top_levl'" },
		{ "tcp_connect:\n  plugins:\n    nosuch:\n      unload_on_init_exception: true\n",
		  "w.yaml:3:5: unknown key 'nosuch' in plugins" },
		{ "tcp_connect:\n  container_labels: [team]\n",
		  "w.yaml:2:22: container_labels: 'team' is not label=glob[,label=glob...]" },
		{ "tcp_connect:\n  container_labels: team=blue\n",
		  "w.yaml:2:21: container_labels must be a list" },
	};
	struct wd_config cfg;
	char err[512];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		err[0] = '\0';
		cr_assert_eq(cfg_parse(&cfg, cases[i].text, err, sizeof(err)), -EINVAL, "%s",
			     cases[i].text);
		cr_assert(!strncmp(err, cases[i].err, strlen(cases[i].err)), "%s\nwant %s", err,
			  cases[i].err);
		wd_config_free(&cfg);
	}
}

/* ---- the HTTP client of the runtime APIs, against a fake server ---------- */

#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "util/clock.h"

/* A server on a unix socket answering one request with reply (NULL: never). */
static pid_t fake_server(const char *path, const char *reply)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	int s = socket(AF_UNIX, SOCK_STREAM, 0);
	pid_t pid;

	strcpy(a.sun_path, path);
	unlink(path);
	cr_assert_eq(bind(s, (struct sockaddr *)&a, sizeof(a)), 0);
	cr_assert_eq(listen(s, 4), 0);
	pid = fork();
	if (pid == 0) {
		char req[1024];
		int c = accept(s, NULL, NULL);
		ssize_t n = read(c, req, sizeof(req) - 1);

		if (n > 0 && reply && strstr(req, "GET /containers/"))
			(void)!write(c, reply, strlen(reply));
		if (!reply)
			pause();
		_exit(0);
	}
	close(s);
	return pid;
}

Test(http, docker_api_answers)
{
	char path[] = "/tmp/wd-http-XXXXXX", sock[64], *body = NULL;
	struct wd_container c = { .id = ID };
	size_t len = 0;
	pid_t pid;
	int64_t t0;

	cr_assert(mkdtemp(path));
	snprintf(sock, sizeof(sock), "%s/d.sock", path);
	pid = fake_server(sock, "HTTP/1.0 200 OK\r\nContent-Type: application/json\r\n\r\n"
				"{\"Name\":\"/api\",\"Config\":{\"Image\":\"img:1\",\"Labels\":"
				"{\"team\":\"blue\"}}}");
	cr_assert_eq(wd_rt_http_get(sock, "/containers/" ID "/json", 1000, &body, &len), 0);
	cr_assert_eq(wd_rt_from_inspect(&c, body, len), 0);
	cr_assert_str_eq(c.name, "api");
	cr_assert_str_eq(wd_container_label(&c, "team"), "blue");
	free(body);
	wd_container_clear(&c);
	waitpid(pid, NULL, 0);
	pid = fake_server(sock, "HTTP/1.1 404 Not Found\r\n\r\n{\"message\":\"no such\"}");
	cr_assert_eq(wd_rt_http_get(sock, "/containers/x/json", 1000, &body, &len), -ENOENT);
	waitpid(pid, NULL, 0);
	/* a server that never answers costs the timeout, no more */
	pid = fake_server(sock, NULL);
	t0 = wd_clock_ns(CLOCK_MONOTONIC);
	cr_assert_eq(wd_rt_http_get(sock, "/containers/x/json", 100, &body, &len), -ETIMEDOUT);
	cr_assert_lt(wd_clock_ns(CLOCK_MONOTONIC) - t0, 300 * 1000000LL);
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	unlink(sock);
	/* nobody listening */
	cr_assert_eq(wd_rt_http_get(sock, "/containers/x/json", 100, &body, &len), -ENOENT);
	rmdir(path);
}

/* ---- the event's container object ---------------------------------------- */

Test(container_json, untrusted_labels_stay_valid_json)
{
	char *keys[] = { "a\"b", "ctl\x01", "z" }, *vals[] = { "v\\", "\xff", "last" };
	struct wd_config cfg;
	struct wd_containers cs;
	struct wd_ctr_entry *e;

	wd_config_init(&cfg);
	cfg.container_labels_max = 2;
	cr_assert_eq(wd_containers_init(&cs, &cfg, "/nonexistent", 8), 0);
	e = wd_ctr_add_cgroup(&cs, 42, "/docker/" ID); /* no daemon: unresolved */
	cr_assert_not_null(e);
	cr_assert_str_eq(e->json, ",\"container\":{\"id\":\"" ID "\",\"runtime\":\"docker\","
				  "\"unresolved\":true}");
	e->c.label_keys = malloc(sizeof(keys));
	e->c.label_values = malloc(sizeof(vals));
	for (int i = 0; i < 3; i++) {
		e->c.label_keys[i] = strdup(keys[i]);
		e->c.label_values[i] = strdup(vals[i]);
	}
	e->c.nlabels = 3;
	e->c.resolved = true;
	e->c.name = strdup("n\"x");
	wd_ctr_rebuild_json(&cs, e);
	cr_assert_str_eq(e->json, ",\"container\":{\"id\":\"" ID "\",\"runtime\":\"docker\","
				  "\"name\":\"n\\\"x\",\"labels\":{\"a\\\"b\":\"v\\\\\","
				  "\"ctl\\u0001\":\"\\ufffd\"},\"labels_omitted\":1}");
	cr_assert_eq(wd_container_of(&cs, 42, 1), &e->c);
	cr_assert_null(wd_container_of(&cs, 43, 0)); /* no /proc entry: nothing */
	wd_ctr_remove_cgroup(&cs, 42);
	cr_assert_eq(cs.count, 0);
	wd_containers_free(&cs);
}
