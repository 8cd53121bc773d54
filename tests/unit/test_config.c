/* test_config.c -- the configuration file as config_parse.c reads it:
 * the defaults, a whole file, the shipped examples (docs/examples), the
 * syntax (comments, line ends, sections, keys given twice, NUL bytes,
 * long lines), the check across keys, all or nothing, the EAL arguments,
 * cfg_load(), the keys that differ between two configurations (SIGHUP's
 * report). Each key's values and errors are test_config_keys.c. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "config_fixture.h"

/* ---- defaults and the whole file ---------------------------------------- */

static void
test_defaults(void **state)
{
	(void)state;
	assert_int_equal(cfg.n_syslog_ports, 1);
	assert_int_equal(cfg.syslog_ports[0], 514);
	assert_int_equal(cfg.n_dns_ports, 1);
	assert_int_equal(cfg.dns_ports[0], 53);
	assert_int_equal(cfg.vxlan_port, 4789);
	assert_int_equal(cfg.geneve_port, 6081);
	assert_int_equal(cfg.mbufs, 16383);
	assert_int_equal(cfg.hit_records, 8191);
	assert_int_equal(cfg.hit_ring_size, 4096);
	assert_int_equal(cfg.rx_descriptors, 1024);
	assert_int_equal(cfg.n_eal_args, 0);
	assert_int_equal(cfg.n_ports, 0);
	assert_string_equal(cfg.socket_path, "/run/iocsift/control.sock");
	assert_string_equal(cfg.socket_group, "");
	assert_int_equal(cfg.socket_mode, 0660);
	assert_string_equal(cfg.state_dir, "/var/lib/iocsift");
	assert_string_equal(cfg.prometheus, "");
	assert_true(cfg.telemetry);
	assert_int_equal(cfg.rollback_depth, 8);
	assert_int_equal(cfg.compact_threshold, 1000);
	assert_int_equal(cfg.shrink_percent, 50);
	assert_int_equal(cfg.n_syslog_tcp_ports, 2);
	assert_int_equal(cfg.syslog_tcp_ports[0], 514);
	assert_int_equal(cfg.syslog_tcp_ports[1], 601);
	assert_int_equal(cfg.n_dns_tcp_ports, 1);
	assert_int_equal(cfg.dns_tcp_ports[0], 53);
	assert_int_equal(cfg.tcp_streams, 16384);
	assert_int_equal(cfg.tcp_buffer, 16);
	assert_int_equal(cfg.tcp_idle_timeout, 60);
	assert_int_equal(cfg.fragment_datagrams, 512);
	assert_int_equal(cfg.fragment_timeout, 30);
	assert_int_equal(cfg.n_feeds, 0);
	assert_int_equal(cfg.n_sinks, 0);

	/* Nothing to parse is the defaults, NULL text included. */
	parse_ok("");
	assert_memory_equal(&cfg, &defaults, sizeof(cfg));
	parse_ok("# only a comment\n\n   \t\n");
	assert_memory_equal(&cfg, &defaults, sizeof(cfg));
	assert_int_equal(cfg_parse(&cfg, "x", NULL, 0, NULL), 0);
	assert_memory_equal(&cfg, &defaults, sizeof(cfg));
}

static const char full_text[] =
	"# iocsift.conf\n"
	"[dataplane]\n"
	"syslog_ports = 514, 601,6514\n"
	"dns_ports = 53,5353\n"
	"vxlan_port = 8472\n"
	"geneve_port = 0\n"
	"mbufs = 65535\n"
	"hit_records = 16383\n"
	"hit_ring_size = 8192\n"
	"rx_descriptors = 2048\n"
	"eal_args = -l 0-3   --huge-dir /dev/hugepages\n"
	"\n"
	"[port]\n"
	"device = 0000:3b:00.1\n"
	"rx_queues = 2\n"
	"lcores = 1-2\n"
	"symmetric_rss = no\n"
	"\n"
	"[port]\n"
	"device = net_af_packet0,iface=eth1,qpairs=1   # the SPAN port\n"
	"lcores = 3\n"
	"\n"
	"[control]\n"
	"socket = /run/iocsift/ctl.sock\n"
	"socket_group = iocsift\n"
	"socket_mode = 0600\n"
	"state_dir = /srv/iocsift\n"
	"prometheus = 127.0.0.1:9464\n"
	"telemetry = off\n"
	"rollback_depth = 3\n"
	"compact_threshold = 50000\n"
	"\n"
	"[feeds]\n"
	"feed = /etc/iocsift/feeds/3cx.csv\n"
	"feed = /etc/iocsift/feeds/misp.json format=misp-json\n"
	"\n"
	"[sinks]\n"
	"sink = file:///var/log/iocsift/hits.jsonl\n"
	"sink = udp://10.0.0.5:514\n";

static void
test_full(void **state)
{
	(void)state;
	parse_ok(full_text);
	assert_int_equal(cfg.n_syslog_ports, 3);
	assert_int_equal(cfg.syslog_ports[0], 514);
	assert_int_equal(cfg.syslog_ports[1], 601);
	assert_int_equal(cfg.syslog_ports[2], 6514);
	assert_int_equal(cfg.n_dns_ports, 2);
	assert_int_equal(cfg.dns_ports[1], 5353);
	assert_int_equal(cfg.vxlan_port, 8472);
	assert_int_equal(cfg.geneve_port, 0);
	assert_int_equal(cfg.mbufs, 65535);
	assert_int_equal(cfg.hit_records, 16383);
	assert_int_equal(cfg.hit_ring_size, 8192);
	assert_int_equal(cfg.rx_descriptors, 2048);
	assert_int_equal(cfg.n_eal_args, 4);
	assert_string_equal(cfg.eal_args[0], "-l");
	assert_string_equal(cfg.eal_args[1], "0-3");
	assert_string_equal(cfg.eal_args[2], "--huge-dir");
	assert_string_equal(cfg.eal_args[3], "/dev/hugepages");

	assert_int_equal(cfg.n_ports, 2);
	assert_string_equal(cfg.ports[0].device, "0000:3b:00.1");
	assert_true(cfg.ports[0].is_pci);
	assert_int_equal(cfg.ports[0].rx_queues, 2);
	assert_int_equal(cfg.ports[0].n_lcores, 2);
	assert_int_equal(cfg.ports[0].lcores[0], 1);
	assert_int_equal(cfg.ports[0].lcores[1], 2);
	assert_false(cfg.ports[0].symmetric_rss);
	assert_int_equal(cfg.ports[0].line, 13);
	assert_string_equal(cfg.ports[1].device,
			    "net_af_packet0,iface=eth1,qpairs=1");
	assert_false(cfg.ports[1].is_pci);
	assert_int_equal(cfg.ports[1].rx_queues, 0);
	assert_int_equal(cfg.ports[1].n_lcores, 1);
	assert_int_equal(cfg.ports[1].lcores[0], 3);
	assert_true(cfg.ports[1].symmetric_rss);
	assert_int_equal(cfg.ports[1].line, 19);

	assert_string_equal(cfg.socket_path, "/run/iocsift/ctl.sock");
	assert_string_equal(cfg.socket_group, "iocsift");
	assert_int_equal(cfg.socket_mode, 0600);
	assert_string_equal(cfg.state_dir, "/srv/iocsift");
	assert_string_equal(cfg.prometheus, "127.0.0.1:9464");
	assert_false(cfg.telemetry);
	assert_int_equal(cfg.rollback_depth, 3);
	assert_int_equal(cfg.compact_threshold, 50000);

	assert_int_equal(cfg.n_feeds, 2);
	assert_string_equal(cfg.feeds[0].path, "/etc/iocsift/feeds/3cx.csv");
	assert_string_equal(cfg.feeds[0].format, "auto");
	assert_int_equal(cfg.feeds[0].line, 34);
	assert_string_equal(cfg.feeds[1].path, "/etc/iocsift/feeds/misp.json");
	assert_string_equal(cfg.feeds[1].format, "misp-json");
	assert_int_equal(cfg.feeds[1].line, 35);
	assert_int_equal(cfg.n_sinks, 2);
	assert_string_equal(cfg.sinks[0], "file:///var/log/iocsift/hits.jsonl");
	assert_string_equal(cfg.sinks[1], "udp://10.0.0.5:514");
}

/* The shipped examples parse, and the full one shows the defaults. */
static void
test_examples(void **state)
{
	char dir[4096], path[4200];
	const char *slash;
	int rc;

	(void)state;
	/* tests/unit/test_config.c -> docs/examples, from the source tree
	 * as the compiler saw it. */
	slash = strstr(__FILE__, "tests/unit/test_config.c");
	assert_non_null(slash);
	snprintf(dir, sizeof(dir), "%.*sdocs/examples",
		 (int)(slash - __FILE__), __FILE__);
	snprintf(path, sizeof(path), "%s/iocsift.conf", dir);
	if (access(path, R_OK) != 0) {
		print_message("no %s from here: skipped\n", path);
		skip();
	}
	rc = cfg_load(&cfg, path, &err);
	if (rc != 0)
		print_error("%s:%u: %s\n", err.where, err.line, err.message);
	assert_int_equal(rc, 0);
	assert_int_equal(cfg.n_ports, 1);
	assert_string_equal(cfg.ports[0].device, "net_af_packet0,iface=lo");
	assert_int_equal(cfg.n_feeds, 0);   /* it runs with an empty database */

	snprintf(path, sizeof(path), "%s/iocsift-full.conf", dir);
	cfg_release(&cfg);
	cfg_defaults(&cfg);
	rc = cfg_load(&cfg, path, &err);
	if (rc != 0)
		print_error("%s:%u: %s\n", err.where, err.line, err.message);
	assert_int_equal(rc, 0);
	/* Every scalar as cfg_defaults() has it. */
	assert_int_equal(cfg.n_eal_args, 0);
	assert_memory_equal(cfg.syslog_ports, defaults.syslog_ports,
			    sizeof(cfg.syslog_ports));
	assert_int_equal(cfg.n_syslog_ports, defaults.n_syslog_ports);
	assert_memory_equal(cfg.dns_ports, defaults.dns_ports,
			    sizeof(cfg.dns_ports));
	assert_int_equal(cfg.vxlan_port, defaults.vxlan_port);
	assert_int_equal(cfg.geneve_port, defaults.geneve_port);
	assert_int_equal(cfg.mbufs, defaults.mbufs);
	assert_int_equal(cfg.hit_records, defaults.hit_records);
	assert_int_equal(cfg.hit_ring_size, defaults.hit_ring_size);
	assert_int_equal(cfg.rx_descriptors, defaults.rx_descriptors);
	assert_string_equal(cfg.socket_path, defaults.socket_path);
	assert_string_equal(cfg.socket_group, defaults.socket_group);
	assert_int_equal(cfg.socket_mode, defaults.socket_mode);
	assert_string_equal(cfg.state_dir, defaults.state_dir);
	assert_string_equal(cfg.prometheus, defaults.prometheus);
	assert_int_equal(cfg.telemetry, defaults.telemetry);
	assert_int_equal(cfg.rollback_depth, defaults.rollback_depth);
	assert_int_equal(cfg.compact_threshold, defaults.compact_threshold);
	assert_int_equal(cfg.n_ports, 1);
	assert_int_equal(cfg.ports[0].rx_queues, 0);
	assert_int_equal(cfg.ports[0].n_lcores, 0);
	assert_true(cfg.ports[0].symmetric_rss);
	assert_false(cfg.ports[0].af_packet_outgoing);
	assert_int_equal(cfg.n_feeds, 1);
	assert_string_equal(cfg.feeds[0].format, "auto");
}

/* ---- checks across keys ------------------------------------------------- */

/* A port may not be both syslog and DNS; the key given last is blamed. */
static void
test_l4_port_overlap(void **state)
{
	(void)state;
	parse_error("[dataplane]\n\nsyslog_ports = 514,53\n", 3,
		    "key 'syslog_ports': port 53 is also in dns_ports");
	parse_error("[dataplane]\ndns_ports = 514\n", 2,
		    "key 'dns_ports': port 514 is also in syslog_ports");
	parse_error("[dataplane]\nsyslog_ports = 601\ndns_ports = 53,601\n", 3,
		    "key 'dns_ports': port 601 is also in syslog_ports");
	parse_error("[dataplane]\ndns_ports = 5353\nsyslog_ports = 5353\n", 3,
		    "key 'syslog_ports': port 5353 is also in dns_ports");
	/* Swapping them is fine. */
	parse_ok("[dataplane]\nsyslog_ports = 53\ndns_ports = 514\n");
	assert_int_equal(cfg.syslog_ports[0], 53);
	assert_int_equal(cfg.dns_ports[0], 514);
}

/* A tunnel's port is neither syslog's nor DNS's nor the other tunnel's,
 * defaults included; 0 (off) claims none. */
static void
test_tunnel_port_overlap(void **state)
{
	(void)state;
	parse_error("[dataplane]\nsyslog_ports = 514,4789\n", 2,
		    "key 'syslog_ports': port 4789 is also vxlan_port");
	parse_error("[dataplane]\nvxlan_port = 53\n", 2,
		    "key 'vxlan_port': port 53 is also in dns_ports");
	parse_error("[dataplane]\nsyslog_ports = 601\ngeneve_port = 601\n", 3,
		    "key 'geneve_port': port 601 is also in syslog_ports");
	parse_error("[dataplane]\ngeneve_port = 4789\n", 2,
		    "key 'geneve_port': port 4789 is also vxlan_port");
	parse_error("[dataplane]\ndns_ports = 6081\nvxlan_port = 0\n", 2,
		    "key 'dns_ports': port 6081 is also geneve_port");
	parse_ok("[dataplane]\nvxlan_port = 0\nsyslog_ports = 4789\n");
	assert_int_equal(cfg.vxlan_port, 0);
	assert_int_equal(cfg.syslog_ports[0], 4789);
	parse_ok("[dataplane]\nvxlan_port = 0\ngeneve_port = 0\n");
	assert_int_equal(cfg.geneve_port, 0);
	parse_ok("[dataplane]\nvxlan_port = 6081\ngeneve_port = 4789\n");
	assert_int_equal(cfg.vxlan_port, 6081);
	assert_int_equal(cfg.geneve_port, 4789);
	/* TCP: syslog or DNS, apart from the UDP lists. */
	parse_error("[dataplane]\ndns_tcp_ports = 53,601\n", 2,
		    "key 'dns_tcp_ports': port 601 is also in syslog_tcp_ports");
	parse_ok("[dataplane]\nsyslog_tcp_ports = 53\ndns_tcp_ports = 5353\n");
	assert_int_equal(cfg.syslog_tcp_ports[0], 53);
}

/* ---- syntax ------------------------------------------------------------- */

static void
test_syntax(void **state)
{
	char message[128];

	(void)state;
	/* CRLF, tabs, a BOM, no final line end, comments everywhere. */
	parse_ok("\xef\xbb\xbf# c\r\n\t[control] # the socket\r\n"
		 "  socket_group\t=\tadm   # who may talk\r\n"
		 "socket_mode=0640\r\n"
		 "#socket_mode = 0600\n"
		 "   # indented comment\n"
		 "[ sinks ]\n"
		 "sink=udp://a:1#frag");
	assert_string_equal(cfg.socket_group, "adm");
	assert_int_equal(cfg.socket_mode, 0640);
	assert_int_equal(cfg.n_sinks, 1);
	assert_string_equal(cfg.sinks[0], "udp://a:1#frag");
	parse_error("[control]\nsocket_mode = 0640#x\n", 2,
		    "key 'socket_mode': expected an octal mode from 0 to 0777");

	parse_error("mbufs = 2048\n", 1, "key 'mbufs' outside any section");
	parse_error("# c\n\nfoo = 1\n[dataplane]\n", 3,
		    "key 'foo' outside any section");
	parse_error("[dataplane]\nmbufs 2048\n", 2,
		    "expected 'key = value' or '[section]'");
	parse_error("[dataplane]\n= 2048\n", 2, "missing key before '='");
	parse_error("[dataplane\nmbufs = 2048\n", 1,
		    "section header without ']'");
	parse_error("[dataplane] mbufs = 2048\n", 1,
		    "unexpected text after [dataplane]");
	parse_error("[portz]\n", 1, "unknown section [portz]");
	parse_error("[Port]\n", 1, "unknown section [Port]");
	parse_error("[]\n", 1, "unknown section []");
	parse_error("[port]\ndevice = net_null0\nrx_queue = 2\n", 3,
		    "unknown key 'rx_queue' in [port]");
	parse_error("[dataplane]\nMbufs = 2048\n", 2,
		    "unknown key 'Mbufs' in [dataplane]");
	parse_error("[dataplane]\ndevice = net_null0\n", 2,
		    "unknown key 'device' in [dataplane] (it belongs in [port])");
	parse_error("[control]\n\x1b[31mevil = 1\n", 2,
		    "unknown key '?[31mevil' in [control]");
	/* A long name is cut short in the message. */
	snprintf(big, sizeof(big), "[control]\n%s = 1\n", repeat('k', 100));
	build(message, sizeof(message), "unknown key '", 'k', 60,
	      "...' in [control]");
	parse_error(big, 2, message);

	/* Sections but [port] appear once; keys once per section. */
	parse_error("[control]\nsocket_mode = 0600\n[dataplane]\n[control]\n", 4,
		    "section [control] already given at line 1 (only [port] repeats)");
	parse_error("[dataplane]\nmbufs = 2048\n\n  mbufs = 4096\n", 4,
		    "key 'mbufs': already set at line 2");
	parse_error("[dataplane]\neal_args =\neal_args = --no-pci\n", 3,
		    "key 'eal_args': already set at line 2");
	parse_error("[port]\ndevice = net_null0\ndevice = net_null1\n", 3,
		    "key 'device': already set at line 2");
	parse_error("[port]\ndevice = net_null0\nlcores = 1\nlcores = 2\n", 4,
		    "key 'lcores': already set at line 3");
	/* An empty value where one is required. */
	parse_error("[control]\nstate_dir =\n", 2, "key 'state_dir': value is empty");
	parse_error("[control]\nstate_dir = # later\n", 2,
		    "key 'state_dir': value is empty");
}

static void
test_nul_and_long_lines(void **state)
{
	static const char nul[] = "[control]\n# a\0b\nsocket_mode = 0600\n";
	static const char nul_value[] = "[control]\nsocket_group = a\0b\n";
	static const char nul_last[] = "[control]\n\0";
	size_t len = 0;

	(void)state;
	parse_error_len(nul, sizeof(nul) - 1, 2, "NUL byte in line");
	parse_error_len(nul_value, sizeof(nul_value) - 1, 2, "NUL byte in line");
	parse_error_len(nul_last, sizeof(nul_last) - 1, 2, "NUL byte in line");
	/* The length given is what is read: a NUL past it is not seen. */
	assert_int_equal(parse_len(nul, 12), 0);

	/* 8191 bytes are a line, 8192 are not; CR counts. */
	append(&len, "[control]\n# %s\n", repeat('c', CFG_LINE_MAX - 2));
	parse_ok(big);
	len = 0;
	append(&len, "[control]\n# %s\n", repeat('c', CFG_LINE_MAX - 1));
	parse_error(big, 2, "line longer than 8191 bytes");
	len = 0;
	append(&len, "[control]\n# %s\r\n", repeat('c', CFG_LINE_MAX - 2));
	parse_error(big, 2, "line longer than 8191 bytes");
	/* Without a final line end too. */
	len = 0;
	append(&len, "[control]\n\n\nsocket_group = %s",
	       repeat('g', CFG_LINE_MAX));
	parse_error(big, 4, "line longer than 8191 bytes");
}

/* ---- all or nothing, ownership ------------------------------------------ */

static void
test_all_or_nothing(void **state)
{
	struct iocsift_config *before;
	char *arg0;

	(void)state;
	/* An error on the last line, after everything else was set. */
	parse_error("[dataplane]\neal_args = -l 0-1 --no-pci\nmbufs = 2047\n"
		    "[port]\ndevice = net_null0\n[feeds]\nfeed = /f.csv\n"
		    "[sinks]\nsink = udp://a:1\n[control]\nrollback_depth = 65\n",
		    11, "key 'rollback_depth': expected a number from 1 to 64");
	/* ... and on the cross-check after the last line. */
	parse_error("[dataplane]\neal_args = --no-pci\ndns_ports = 514\n", 3,
		    "key 'dns_ports': port 514 is also in syslog_ports");

	/* A configuration in place stays as it was. */
	parse_ok(full_text);
	before = malloc(sizeof(*before));
	assert_non_null(before);
	memcpy(before, &cfg, sizeof(cfg));
	arg0 = cfg.eal_args[0];
	assert_int_equal(cfg_parse(&cfg, "test.conf",
				   "[dataplane]\neal_args = a b\n[x]\n",
				   31, &err), -EINVAL);
	assert_memory_equal(&cfg, before, sizeof(cfg));
	assert_ptr_equal(cfg.eal_args[0], arg0);
	assert_string_equal(cfg.eal_args[0], "-l");

	/* Success replaces all of it, what was owned is freed (ASan). */
	parse_ok("[dataplane]\neal_args = --no-huge\n");
	assert_int_equal(cfg.n_eal_args, 1);
	assert_string_equal(cfg.eal_args[0], "--no-huge");
	assert_int_equal(cfg.n_ports, 0);
	assert_int_equal(cfg.n_feeds, 0);
	assert_int_equal(cfg.mbufs, 16383);
	free(before);

	/* err may be NULL. */
	assert_int_equal(cfg_parse(&cfg, NULL, "[x]\n", 4, NULL), -EINVAL);
	assert_int_equal(cfg.n_eal_args, 1);
	/* A NULL label is "". */
	assert_int_equal(cfg_parse(&cfg, NULL, "[x]\n", 4, &err), -EINVAL);
	assert_string_equal(err.where, "");
	assert_int_equal(err.line, 1);
}

static void
test_eal_args(void **state)
{
	char text[1024];
	size_t len = 0;

	(void)state;
	assert_int_equal(cfg_set_eal_args(&cfg, "  -l 0,1\t--no-huge\n-m  512 "), 0);
	assert_int_equal(cfg.n_eal_args, 5);
	assert_string_equal(cfg.eal_args[0], "-l");
	assert_string_equal(cfg.eal_args[1], "0,1");
	assert_string_equal(cfg.eal_args[2], "--no-huge");
	assert_string_equal(cfg.eal_args[3], "-m");
	assert_string_equal(cfg.eal_args[4], "512");
	/* Replacing. */
	assert_int_equal(cfg_set_eal_args(&cfg, "--no-pci"), 0);
	assert_int_equal(cfg.n_eal_args, 1);
	assert_string_equal(cfg.eal_args[0], "--no-pci");
	assert_null(cfg.eal_args[1]);
	/* Over the limit: -E2BIG, the previous ones stay. */
	for (unsigned int i = 0; i <= CFG_EAL_ARGS_MAX; i++)
		len += (size_t)snprintf(text + len, sizeof(text) - len, "a%u ", i);
	assert_int_equal(cfg_set_eal_args(&cfg, text), -E2BIG);
	assert_int_equal(cfg.n_eal_args, 1);
	assert_string_equal(cfg.eal_args[0], "--no-pci");
	/* Exactly the limit. */
	text[len - strlen("a64 ")] = '\0';
	assert_int_equal(cfg_set_eal_args(&cfg, text), 0);
	assert_int_equal(cfg.n_eal_args, CFG_EAL_ARGS_MAX);
	assert_string_equal(cfg.eal_args[63], "a63");
	/* Blank and NULL clear. */
	assert_int_equal(cfg_set_eal_args(&cfg, " \t "), 0);
	assert_int_equal(cfg.n_eal_args, 0);
	assert_int_equal(cfg_set_eal_args(&cfg, "x"), 0);
	assert_int_equal(cfg_set_eal_args(&cfg, NULL), 0);
	assert_int_equal(cfg.n_eal_args, 0);
	/* Releasing twice is harmless. */
	assert_int_equal(cfg_set_eal_args(&cfg, "x y"), 0);
	cfg_release(&cfg);
	cfg_release(&cfg);
	assert_int_equal(cfg.n_eal_args, 0);
}

/* ---- files -------------------------------------------------------------- */

static void
write_file(const char *path, const char *text, size_t len)
{
	FILE *f = fopen(path, "wb");

	assert_non_null(f);
	assert_int_equal(fwrite(text, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
}

static void
test_load(void **state)
{
	char dir[] = "/tmp/test_config.XXXXXX", path[128];
	size_t len = 0;
	int rc;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/iocsift.conf", dir);
	write_file(path, full_text, strlen(full_text));
	rc = cfg_load(&cfg, path, &err);
	assert_int_equal(rc, 0);
	assert_int_equal(cfg.n_ports, 2);
	assert_int_equal(cfg.n_eal_args, 4);

	/* Errors name the file. */
	write_file(path, "[control]\n\nsocket = x\n", 22);
	assert_int_equal(cfg_load(&cfg, path, &err), -EINVAL);
	assert_string_equal(err.where, path);
	assert_int_equal(err.line, 3);
	assert_string_equal(err.message,
			    "key 'socket': expected an absolute path shorter than 108 bytes");
	assert_int_equal(cfg.n_ports, 2);   /* untouched */

	/* Exactly 1 MiB is read, one byte more is refused. */
	while (len < CFG_FILE_MAX - 100)
		append(&len, "# %s\n", repeat('c', 97));
	append(&len, "[control]\n");
	while (len < CFG_FILE_MAX - 1)
		append(&len, "\n");
	append(&len, "#");
	assert_int_equal(len, CFG_FILE_MAX);
	write_file(path, big, len);
	cfg_release(&cfg);
	cfg_defaults(&cfg);
	assert_int_equal(cfg_load(&cfg, path, &err), 0);
	big[len] = '\n';
	write_file(path, big, len + 1);
	memset(&err, 0, sizeof(err));
	assert_int_equal(cfg_load(&cfg, path, &err), -EFBIG);
	assert_string_equal(err.where, path);
	assert_int_equal(err.line, 0);
	assert_string_equal(err.message, "larger than 1048576 bytes (1 MiB)");
	assert_memory_equal(&cfg, &defaults, sizeof(cfg));
	assert_int_equal(unlink(path), 0);

	/* Missing file, a directory. */
	memset(&err, 0, sizeof(err));
	assert_int_equal(cfg_load(&cfg, path, &err), -ENOENT);
	assert_string_equal(err.where, path);
	assert_int_equal(err.line, 0);
	assert_string_equal(err.message, strerror(ENOENT));
	assert_int_equal(cfg_load(&cfg, dir, &err), -EISDIR);
	assert_string_equal(err.message, strerror(EISDIR));
	assert_memory_equal(&cfg, &defaults, sizeof(cfg));
	assert_int_equal(rmdir(dir), 0);
}

/* ---- cfg_changed_keys ---------------------------------------------------- */

static struct iocsift_config other;

/* Parses text into other (the config to compare cfg with). */
static void
parse_other(const char *text)
{
	cfg_release(&other);
	cfg_defaults(&other);
	assert_int_equal(cfg_parse(&other, "other.conf", text, strlen(text),
				   &err), 0);
}

/* The names cfg_changed_keys(&cfg, &other) gives, joined by ' '. */
static const char *
changed(void)
{
	static char joined[1024];
	const char *names[CFG_CHANGED_KEYS_MAX];
	size_t n = cfg_changed_keys(&cfg, &other, names, CFG_CHANGED_KEYS_MAX);

	joined[0] = '\0';
	for (size_t i = 0; i < n; i++) {
		if (i > 0)
			strcat(joined, " ");
		strcat(joined, names[i]);
	}
	return joined;
}

static void
test_changed_keys(void **state)
{
	char text[sizeof(full_text) + 256];
	const char *names[2];

	(void)state;
	/* The same file twice: nothing, though eal_args are other copies. */
	parse_ok(full_text);
	parse_other(full_text);
	assert_string_equal(changed(), "");

	/* Where lines and sections start does not count. */
	snprintf(text, sizeof(text), "# moved down\n\n%s", full_text);
	parse_other(text);
	assert_string_equal(changed(), "");

	/* The defaults against the whole file: every key it sets, in the
	 * order of the documentation; the [port] sections as a number. */
	parse_ok("");
	parse_other(full_text);
	assert_string_equal(changed(),
		"[port] syslog_ports dns_ports vxlan_port geneve_port mbufs "
		"hit_records hit_ring_size rx_descriptors eal_args socket "
		"socket_group socket_mode state_dir prometheus telemetry "
		"rollback_depth compact_threshold feed sink");

	/* A key of a [port] both have; a feed's format; the sinks' keys. */
	parse_ok(full_text);
	snprintf(text, sizeof(text), "%s", full_text);
	memcpy(strstr(text, "lcores = 3"), "lcores = 4", 10);
	memcpy(strstr(text, "format=misp-json"), "format=misp-csv ", 16);
	strcat(text, "throttle_window = 30\nspool_dir = /srv/spool\n"
	       "hostname = edge1\n[exports]\nexport_dir = /srv/x\n"
	       "export_formats = csv\nexport_filter = csv types=url\n"
	       "export_allow = /srv/allow\n");
	parse_other(text);
	assert_string_equal(changed(), "lcores feed throttle_window spool_dir "
			    "hostname export_dir export_formats export_filter "
			    "export_allow");
	snprintf(text, sizeof(text), "%s", full_text);
	memcpy(strstr(text, "symmetric_rss = no"), "symmetric_rss = on", 18);
	memcpy(strstr(text, "rx_queues = 2"), "rx_queues = 1", 13);
	memcpy(strstr(text, "0000:3b:00.1"), "0000:3b:00.0", 12);
	memcpy(strstr(text, "compact_threshold = 50000"),
	       "shrink_percent = 10 #000", 24);
	*strstr(text, "socket = ") = '#';     /* back to the default */
	parse_other(text);
	assert_string_equal(changed(), "device rx_queues symmetric_rss "
			    "socket compact_threshold shrink_percent");

	/* At most max names. */
	parse_ok("");
	parse_other(full_text);
	assert_int_equal(cfg_changed_keys(&cfg, &other, names, 2), 2);
	assert_string_equal(names[0], "[port]");
	assert_string_equal(names[1], "syslog_ports");
	cfg_release(&other);
}

#define TEST(f) \
	cmocka_unit_test_setup_teardown(f, config_fixture_setup, \
					config_fixture_teardown)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		TEST(test_defaults),
		TEST(test_full),
		TEST(test_examples),
		TEST(test_l4_port_overlap),
		TEST(test_tunnel_port_overlap),
		TEST(test_syntax),
		TEST(test_nul_and_long_lines),
		TEST(test_all_or_nothing),
		TEST(test_eal_args),
		TEST(test_load),
		TEST(test_changed_keys),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
