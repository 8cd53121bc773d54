/* test_config.c -- the configuration file: every key, the syntax, all or nothing. */
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

#include "config.h"

static struct iocsift_config cfg;
static struct iocsift_config defaults;
static struct error_detail err;
/* Texts built by a test (long lines, many sections). */
static char big[3 * 1024 * 1024];

static int
test_setup(void **state)
{
	(void)state;
	cfg_defaults(&cfg);
	cfg_defaults(&defaults);
	memset(&err, 0, sizeof(err));
	return 0;
}

static int
test_teardown(void **state)
{
	(void)state;
	cfg_release(&cfg);
	return 0;
}

static int
parse_len(const char *text, size_t len)
{
	memset(&err, 0, sizeof(err));
	return cfg_parse(&cfg, "test.conf", text, len, &err);
}

static void
parse_ok(const char *text)
{
	int rc = parse_len(text, strlen(text));

	if (rc != 0)
		print_error("parse: %s:%u: %s\n", err.where, err.line, err.message);
	assert_int_equal(rc, 0);
}

/* All or nothing: an error leaves cfg as it was (the defaults here, no
 * argument owned). A message ending in "..." is a prefix. */
static void
parse_error_len(const char *text, size_t len, unsigned int line,
		const char *message)
{
	size_t n = strlen(message);

	cfg_release(&cfg);
	cfg_defaults(&cfg);
	assert_int_equal(parse_len(text, len), -EINVAL);
	assert_string_equal(err.where, "test.conf");
	if (n > 3 && strcmp(message + n - 3, "...") == 0)
		n -= 3;
	else
		n = sizeof(err.message);
	if (strncmp(err.message, message, n) != 0 || err.line != line)
		print_error("error: %u: %s\n", err.line, err.message);
	assert_true(strncmp(err.message, message, n) == 0);
	assert_int_equal(err.line, line);
	assert_memory_equal(&cfg, &defaults, sizeof(cfg));
}

static void
parse_error(const char *text, unsigned int line, const char *message)
{
	parse_error_len(text, strlen(text), line, message);
}

/* "[section]\nkey = value\n": the error, if any, is on line 2. */
static void
key_ok(const char *section, const char *key, const char *value)
{
	char text[16384];

	snprintf(text, sizeof(text), "[%s]\n%s = %s\n", section, key, value);
	cfg_release(&cfg);
	cfg_defaults(&cfg);
	parse_ok(text);
}

static void
key_error(const char *section, const char *key, const char *value,
	  const char *message)
{
	char text[16384];

	snprintf(text, sizeof(text), "[%s]\n%s = %s\n", section, key, value);
	parse_error(text, 2, message);
}

/* A [port] with a device, then key = value. */
static void
port_key_ok(const char *key, const char *value)
{
	char text[16384];

	snprintf(text, sizeof(text), "[port]\ndevice = net_null0\n%s = %s\n",
		 key, value);
	cfg_release(&cfg);
	cfg_defaults(&cfg);
	parse_ok(text);
	assert_int_equal(cfg.n_ports, 1);
}

static void
port_key_error(const char *key, const char *value, const char *message)
{
	char text[16384];

	snprintf(text, sizeof(text), "[port]\ndevice = net_null0\n%s = %s\n",
		 key, value);
	parse_error(text, 3, message);
}

static void
append(size_t *len, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(big + *len, sizeof(big) - *len, fmt, ap);
	va_end(ap);
	assert_true(n >= 0 && (size_t)n < sizeof(big) - *len);
	*len += (size_t)n;
}

static char *
repeat(char c, size_t n)
{
	static char s[16384];

	assert_true(n < sizeof(s));
	memset(s, c, n);
	s[n] = '\0';
	return s;
}

/* prefix, n times c, suffix into dst. */
static void
build(char *dst, size_t size, const char *prefix, char c, size_t n,
      const char *suffix)
{
	size_t a = strlen(prefix), b = strlen(suffix);

	assert_true(a + n + b < size);
	memcpy(dst, prefix, a);
	memset(dst + a, c, n);
	memcpy(dst + a + n, suffix, b + 1);
}

/* ---- defaults and the whole file ---------------------------------------- */

static void
test_defaults(void **state)
{
	(void)state;
	assert_int_equal(cfg.n_syslog_ports, 1);
	assert_int_equal(cfg.syslog_ports[0], 514);
	assert_int_equal(cfg.n_dns_ports, 1);
	assert_int_equal(cfg.dns_ports[0], 53);
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
	assert_int_equal(cfg.ports[0].line, 11);
	assert_string_equal(cfg.ports[1].device,
			    "net_af_packet0,iface=eth1,qpairs=1");
	assert_false(cfg.ports[1].is_pci);
	assert_int_equal(cfg.ports[1].rx_queues, 0);
	assert_int_equal(cfg.ports[1].n_lcores, 1);
	assert_int_equal(cfg.ports[1].lcores[0], 3);
	assert_true(cfg.ports[1].symmetric_rss);
	assert_int_equal(cfg.ports[1].line, 17);

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
	assert_int_equal(cfg.feeds[0].line, 32);
	assert_string_equal(cfg.feeds[1].path, "/etc/iocsift/feeds/misp.json");
	assert_string_equal(cfg.feeds[1].format, "misp-json");
	assert_int_equal(cfg.feeds[1].line, 33);
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
	assert_int_equal(cfg.n_feeds, 1);
	assert_string_equal(cfg.feeds[0].format, "auto");
}

/* ---- [dataplane] -------------------------------------------------------- */

static void
test_dataplane(void **state)
{
	(void)state;
	key_ok("dataplane", "syslog_ports", "1,65535");
	assert_int_equal(cfg.n_syslog_ports, 2);
	assert_int_equal(cfg.syslog_ports[0], 1);
	assert_int_equal(cfg.syslog_ports[1], 65535);
	key_ok("dataplane", "syslog_ports",
	       "1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16");
	assert_int_equal(cfg.n_syslog_ports, 16);
	assert_int_equal(cfg.syslog_ports[15], 16);
	key_ok("dataplane", "dns_ports", " 5353 ,\t53 ");
	assert_int_equal(cfg.n_dns_ports, 2);
	assert_int_equal(cfg.dns_ports[0], 5353);
	assert_int_equal(cfg.dns_ports[1], 53);
	key_ok("dataplane", "mbufs", "1023");
	assert_int_equal(cfg.mbufs, 1023);
	key_ok("dataplane", "mbufs", "4194303");
	assert_int_equal(cfg.mbufs, 4194303);
	key_ok("dataplane", "mbufs", "0008191");
	assert_int_equal(cfg.mbufs, 8191);
	key_ok("dataplane", "hit_records", "255");
	assert_int_equal(cfg.hit_records, 255);
	key_ok("dataplane", "hit_records", "1048575");
	assert_int_equal(cfg.hit_records, 1048575);
	key_ok("dataplane", "hit_ring_size", "256");
	assert_int_equal(cfg.hit_ring_size, 256);
	key_ok("dataplane", "hit_ring_size", "1048576");
	assert_int_equal(cfg.hit_ring_size, 1048576);
	key_ok("dataplane", "rx_descriptors", "64");
	assert_int_equal(cfg.rx_descriptors, 64);
	key_ok("dataplane", "rx_descriptors", "16384");
	assert_int_equal(cfg.rx_descriptors, 16384);
	key_ok("dataplane", "eal_args", "--no-huge\t-m 512  --no-pci");
	assert_int_equal(cfg.n_eal_args, 4);
	assert_string_equal(cfg.eal_args[0], "--no-huge");
	assert_string_equal(cfg.eal_args[3], "--no-pci");
	/* Empty: none. */
	key_ok("dataplane", "eal_args", "");
	assert_int_equal(cfg.n_eal_args, 0);
	snprintf(big, sizeof(big), "[dataplane]\neal_args = %s\n",
		 "a b c d e f g h i j k l m n o p q r s t u v w x y z "
		 "A B C D E F G H I J K L M N O P Q R S T U V W X Y Z "
		 "0 1 2 3 4 5 6 7 8 9 - +");
	cfg_release(&cfg);
	cfg_defaults(&cfg);
	parse_ok(big);
	assert_int_equal(cfg.n_eal_args, 64);
	assert_string_equal(cfg.eal_args[63], "+");
}

static void
test_dataplane_errors(void **state)
{
	static const char ports[] =
		"key 'syslog_ports': expected a comma-separated list of ports from 1 to 65535";

	(void)state;
	key_error("dataplane", "syslog_ports", "0", ports);
	key_error("dataplane", "syslog_ports", "65536", ports);
	key_error("dataplane", "syslog_ports", "514,", ports);
	key_error("dataplane", "syslog_ports", ",514", ports);
	key_error("dataplane", "syslog_ports", "514 601", ports);
	key_error("dataplane", "syslog_ports", "-514", ports);
	key_error("dataplane", "syslog_ports", "syslog", ports);
	key_error("dataplane", "syslog_ports", "514,601,514",
		  "key 'syslog_ports': port 514 is listed twice");
	key_error("dataplane", "syslog_ports",
		  "1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17",
		  "key 'syslog_ports': at most 16 ports");
	key_error("dataplane", "dns_ports", "53,0",
		  "key 'dns_ports': expected a comma-separated list of ports from 1 to 65535");
	key_error("dataplane", "dns_ports", "53,53",
		  "key 'dns_ports': port 53 is listed twice");

	key_error("dataplane", "mbufs", "1022",
		  "key 'mbufs': expected a number from 1023 to 4194303");
	key_error("dataplane", "mbufs", "4194304",
		  "key 'mbufs': expected a number from 1023 to 4194303");
	key_error("dataplane", "mbufs", "+2048", "key 'mbufs': expected...");
	key_error("dataplane", "mbufs", "-2048", "key 'mbufs': expected...");
	key_error("dataplane", "mbufs", "2048x", "key 'mbufs': expected...");
	key_error("dataplane", "mbufs", "0x800", "key 'mbufs': expected...");
	key_error("dataplane", "mbufs", "2 048", "key 'mbufs': expected...");
	key_error("dataplane", "mbufs", "2048.0", "key 'mbufs': expected...");
	/* Overflow of every width. */
	key_error("dataplane", "mbufs", "4294969344", "key 'mbufs': expected...");
	key_error("dataplane", "mbufs", "18446744073709553664",
		  "key 'mbufs': expected...");
	key_error("dataplane", "mbufs", repeat('9', 400),
		  "key 'mbufs': expected...");
	key_error("dataplane", "hit_records", "254",
		  "key 'hit_records': expected a number from 255 to 1048575");
	key_error("dataplane", "hit_records", "1048576",
		  "key 'hit_records': expected a number from 255 to 1048575");
	key_error("dataplane", "hit_ring_size", "128",
		  "key 'hit_ring_size': expected a power of two from 256 to 1048576");
	key_error("dataplane", "hit_ring_size", "1000",
		  "key 'hit_ring_size': expected a power of two from 256 to 1048576");
	key_error("dataplane", "hit_ring_size", "2097152",
		  "key 'hit_ring_size': expected a power of two from 256 to 1048576");
	key_error("dataplane", "hit_ring_size", "4k",
		  "key 'hit_ring_size': expected a power of two from 256 to 1048576");
	key_error("dataplane", "rx_descriptors", "63",
		  "key 'rx_descriptors': expected a number from 64 to 16384");
	key_error("dataplane", "rx_descriptors", "16385",
		  "key 'rx_descriptors': expected a number from 64 to 16384");
	key_error("dataplane", "eal_args",
		  "a b c d e f g h i j k l m n o p q r s t u v w x y z "
		  "A B C D E F G H I J K L M N O P Q R S T U V W X Y Z "
		  "0 1 2 3 4 5 6 7 8 9 - + =",
		  "key 'eal_args': at most 64 arguments");
	/* Required values. */
	key_error("dataplane", "mbufs", "", "key 'mbufs': value is empty");
	key_error("dataplane", "syslog_ports", "  # none",
		  "key 'syslog_ports': value is empty");
}

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

/* ---- [port] ------------------------------------------------------------- */

static void
test_port(void **state)
{
	(void)state;
	parse_ok("[port]\ndevice = 0000:03:00.0\n");
	assert_int_equal(cfg.n_ports, 1);
	assert_string_equal(cfg.ports[0].device, "0000:03:00.0");
	assert_true(cfg.ports[0].is_pci);
	assert_int_equal(cfg.ports[0].rx_queues, 0);
	assert_int_equal(cfg.ports[0].n_lcores, 0);
	assert_true(cfg.ports[0].symmetric_rss);
	assert_int_equal(cfg.ports[0].line, 1);
	parse_ok("[port]\ndevice = 3b:1F.7\n");
	assert_true(cfg.ports[0].is_pci);
	parse_ok("[port]\ndevice = ffff:ff:1f.7,rxq_cqe_comp_en=1\n");
	assert_true(cfg.ports[0].is_pci);
	assert_string_equal(cfg.ports[0].device,
			    "ffff:ff:1f.7,rxq_cqe_comp_en=1");
	parse_ok("[port]\ndevice = net_af_packet0,iface=veth0\n");
	assert_false(cfg.ports[0].is_pci);
	assert_string_equal(cfg.ports[0].device, "net_af_packet0,iface=veth0");
	snprintf(big, sizeof(big), "[port]\ndevice = net_%s\n",
		 repeat('a', 507));
	parse_ok(big);
	assert_int_equal(strlen(cfg.ports[0].device), 511);

	port_key_ok("rx_queues", "1");
	assert_int_equal(cfg.ports[0].rx_queues, 1);
	port_key_ok("rx_queues", "128");
	assert_int_equal(cfg.ports[0].rx_queues, 128);

	port_key_ok("lcores", "1,2");
	assert_int_equal(cfg.ports[0].n_lcores, 2);
	assert_int_equal(cfg.ports[0].lcores[0], 1);
	assert_int_equal(cfg.ports[0].lcores[1], 2);
	port_key_ok("lcores", "1-3");
	assert_int_equal(cfg.ports[0].n_lcores, 3);
	assert_int_equal(cfg.ports[0].lcores[2], 3);
	port_key_ok("lcores", "7, 0-1 ,4 - 5,1023");
	assert_int_equal(cfg.ports[0].n_lcores, 6);
	assert_int_equal(cfg.ports[0].lcores[0], 7);
	assert_int_equal(cfg.ports[0].lcores[1], 0);
	assert_int_equal(cfg.ports[0].lcores[2], 1);
	assert_int_equal(cfg.ports[0].lcores[3], 4);
	assert_int_equal(cfg.ports[0].lcores[4], 5);
	assert_int_equal(cfg.ports[0].lcores[5], 1023);
	port_key_ok("lcores", "2-2");
	assert_int_equal(cfg.ports[0].n_lcores, 1);
	port_key_ok("lcores", "896-1023");
	assert_int_equal(cfg.ports[0].n_lcores, 128);
	assert_int_equal(cfg.ports[0].lcores[127], 1023);

	port_key_ok("symmetric_rss", "no");
	assert_false(cfg.ports[0].symmetric_rss);
	port_key_ok("symmetric_rss", "TRUE");
	assert_true(cfg.ports[0].symmetric_rss);
	port_key_ok("symmetric_rss", "Off");
	assert_false(cfg.ports[0].symmetric_rss);
	port_key_ok("symmetric_rss", "1");
	assert_true(cfg.ports[0].symmetric_rss);
	port_key_ok("symmetric_rss", "false");
	assert_false(cfg.ports[0].symmetric_rss);
	port_key_ok("symmetric_rss", "on");
	assert_true(cfg.ports[0].symmetric_rss);
	port_key_ok("symmetric_rss", "0");
	assert_false(cfg.ports[0].symmetric_rss);
	port_key_ok("symmetric_rss", "Yes");
	assert_true(cfg.ports[0].symmetric_rss);
	/* The device may come after the other keys. */
	parse_ok("[port]\nlcores = 1\nrx_queues = 1\ndevice = net_null0\n");
	assert_string_equal(cfg.ports[0].device, "net_null0");
	assert_int_equal(cfg.ports[0].n_lcores, 1);
}

static void
test_port_errors(void **state)
{
	static const char device[] =
		"key 'device': expected a PCI address (0000:03:00.0) or a vdev (net_...)";
	static const char lcores[] =
		"key 'lcores': expected lcores from 0 to 1023 as a list (1,2) or ranges (1-3)";

	(void)state;
	key_error("port", "device", "eth0", device);
	key_error("port", "device", "net_", device);
	key_error("port", "device", "net_,iface=x", device);
	key_error("port", "device", "0000:03:00.8", device);
	key_error("port", "device", "0000:03:20.0", device);
	key_error("port", "device", "000:03:00.0", device);
	key_error("port", "device", "000g:03:00.0", device);
	key_error("port", "device", "03:00:0", device);
	key_error("port", "device", "0g:00.0", device);
	key_error("port", "device", "03:00.0x", device);
	key_error("port", "device", "NET_null0", device);
	key_error("port", "device", "net_pcap0, rx_pcap=x",
		  "key 'device': contains white space");
	snprintf(big, sizeof(big), "[port]\ndevice = net_%s\n",
		 repeat('a', 508));
	parse_error(big, 2, "key 'device': longer than 511 bytes");
	key_error("port", "device", "", "key 'device': value is empty");

	port_key_error("rx_queues", "0",
		       "key 'rx_queues': expected a number from 1 to 128");
	port_key_error("rx_queues", "129",
		       "key 'rx_queues': expected a number from 1 to 128");
	port_key_error("rx_queues", "65537",
		       "key 'rx_queues': expected a number from 1 to 128");
	port_key_error("rx_queues", "two",
		       "key 'rx_queues': expected a number from 1 to 128");

	port_key_error("lcores", "1024", lcores);
	port_key_error("lcores", "3-1", lcores);
	port_key_error("lcores", "1,", lcores);
	port_key_error("lcores", "1-", lcores);
	port_key_error("lcores", "-1", lcores);
	port_key_error("lcores", "1-2-3", lcores);
	port_key_error("lcores", "1;2", lcores);
	port_key_error("lcores", "0-1024", lcores);
	port_key_error("lcores", "one", lcores);
	port_key_error("lcores", "1,1", "key 'lcores': lcore 1 is listed twice");
	port_key_error("lcores", "1-3,2",
		       "key 'lcores': lcore 2 is listed twice");
	port_key_error("lcores", "0-128", "key 'lcores': at most 128 lcores");
	port_key_error("lcores", "0-1023", "key 'lcores': at most 128 lcores");

	port_key_error("symmetric_rss", "maybe",
		       "key 'symmetric_rss': expected yes or no");
	port_key_error("symmetric_rss", "y",
		       "key 'symmetric_rss': expected yes or no");
	port_key_error("symmetric_rss", "2",
		       "key 'symmetric_rss': expected yes or no");

	/* A [port] names its device: blamed on its header line. */
	parse_error("[port]\nrx_queues = 1\n", 1,
		    "key 'device': required in every [port]");
	parse_error("[port]\n", 1, "key 'device': required in every [port]");
	parse_error("[port]\ndevice = net_null0\n\n[port]\nlcores = 2\n"
		    "[control]\n", 4,
		    "key 'device': required in every [port]");
	parse_error("[port]\ndevice = net_null0\n[port]\n", 3,
		    "key 'device': required in every [port]");
}

static void
test_ports(void **state)
{
	size_t len = 0;

	(void)state;
	for (unsigned int i = 0; i < CFG_PORTS_MAX; i++)
		append(&len, "[port]\ndevice = net_ring%u\nlcores = %u-%u\n"
		       "rx_queues = 2\n", i, 2 * i + 1, 2 * i + 2);
	parse_ok(big);
	assert_int_equal(cfg.n_ports, CFG_PORTS_MAX);
	for (unsigned int i = 0; i < CFG_PORTS_MAX; i++) {
		char name[32];

		snprintf(name, sizeof(name), "net_ring%u", i);
		assert_string_equal(cfg.ports[i].device, name);
		assert_int_equal(cfg.ports[i].line, 4 * i + 1);
		assert_int_equal(cfg.ports[i].n_lcores, 2);
		assert_int_equal(cfg.ports[i].lcores[0], 2 * i + 1);
		/* Keys are per [port]: rx_queues in each is no duplicate. */
		assert_int_equal(cfg.ports[i].rx_queues, 2);
	}
	append(&len, "[port]\ndevice = net_ring99\n");
	parse_error(big, 33, "at most 8 [port] sections");

	/* The same device twice, in any spelling. */
	parse_error("[port]\ndevice = net_ring0\n[port]\ndevice = net_ring0\n",
		    4, "key 'device': 'net_ring0' is already used by [port] at line 1");
	parse_error("[port]\ndevice = net_pcap0,iface=a\n[port]\n"
		    "device = net_pcap0,iface=b\n", 4,
		    "key 'device': 'net_pcap0' is already used by [port] at line 1");
	parse_error("[port]\ndevice = 03:00.0\n[port]\n"
		    "device = 0000:03:00.0,x=1\n", 4,
		    "key 'device': '0000:03:00.0' is already used by [port] at line 1");
	parse_error("[port]\ndevice = 0000:3B:00.0\n[port]\n"
		    "device = 0000:3b:00.0\n", 4,
		    "key 'device': '0000:3b:00.0' is already used by [port] at line 1");
	/* A worker lcore serves one port. */
	parse_error("[port]\ndevice = net_ring0\nlcores = 1-3\n"
		    "[port]\ndevice = net_ring1\nlcores = 4,3\n", 6,
		    "key 'lcores': lcore 3 is also used by [port] at line 1");
	parse_ok("[port]\ndevice = net_ring0\nlcores = 1-3\n"
		 "[port]\ndevice = net_ring1\nlcores = 4-5\n");
	assert_int_equal(cfg.n_ports, 2);
	assert_int_equal(cfg.ports[1].lcores[1], 5);
}

/* ---- [control] ---------------------------------------------------------- */

static void
test_control(void **state)
{
	char path[200];

	(void)state;
	key_ok("control", "socket", "/tmp/x.sock");
	assert_string_equal(cfg.socket_path, "/tmp/x.sock");
	build(path, sizeof(path), "/", 's', 106, "");
	key_ok("control", "socket", path);
	assert_string_equal(cfg.socket_path, path);
	key_ok("control", "socket_group", "adm");
	assert_string_equal(cfg.socket_group, "adm");
	key_ok("control", "socket_group", "");
	assert_string_equal(cfg.socket_group, "");
	key_ok("control", "socket_group", repeat('g', 63));
	assert_int_equal(strlen(cfg.socket_group), 63);
	key_ok("control", "socket_mode", "0600");
	assert_int_equal(cfg.socket_mode, 0600);
	key_ok("control", "socket_mode", "660");
	assert_int_equal(cfg.socket_mode, 0660);
	key_ok("control", "socket_mode", "0");
	assert_int_equal(cfg.socket_mode, 0);
	key_ok("control", "socket_mode", "0777");
	assert_int_equal(cfg.socket_mode, 0777);
	key_ok("control", "state_dir", "/");
	assert_string_equal(cfg.state_dir, "/");
	key_ok("control", "state_dir", "/var/lib/iocsift test");
	assert_string_equal(cfg.state_dir, "/var/lib/iocsift test");
	key_ok("control", "prometheus", "127.0.0.1:9464");
	assert_string_equal(cfg.prometheus, "127.0.0.1:9464");
	key_ok("control", "prometheus", "127.10.20.30:1");
	assert_string_equal(cfg.prometheus, "127.10.20.30:1");
	key_ok("control", "prometheus", "[::1]:65535");
	assert_string_equal(cfg.prometheus, "[::1]:65535");
	key_ok("control", "prometheus", "LocalHost:9464");
	assert_string_equal(cfg.prometheus, "LocalHost:9464");
	key_ok("control", "prometheus", "");
	assert_string_equal(cfg.prometheus, "");
	key_ok("control", "telemetry", "no");
	assert_false(cfg.telemetry);
	key_ok("control", "telemetry", "yes");
	assert_true(cfg.telemetry);
	key_ok("control", "rollback_depth", "1");
	assert_int_equal(cfg.rollback_depth, 1);
	key_ok("control", "rollback_depth", "64");
	assert_int_equal(cfg.rollback_depth, 64);
	key_ok("control", "compact_threshold", "1");
	assert_int_equal(cfg.compact_threshold, 1);
	key_ok("control", "compact_threshold", "1000000");
	assert_int_equal(cfg.compact_threshold, 1000000);
}

static void
test_control_errors(void **state)
{
	static const char socket[] =
		"key 'socket': expected an absolute path shorter than 108 bytes";
	static const char mode[] =
		"key 'socket_mode': expected an octal mode from 0 to 0777";
	static const char loopback[] =
		"key 'prometheus': only loopback addresses are allowed";
	static const char listen[] =
		"key 'prometheus': expected HOST:PORT with HOST 127.x.x.x, [::1] or localhost and PORT from 1 to 65535";
	char path[200];

	(void)state;
	key_error("control", "socket", "run/iocsift.sock", socket);
	build(path, sizeof(path), "/", 's', 107, "");
	key_error("control", "socket", path, socket);
	key_error("control", "socket", "", "key 'socket': value is empty");
	key_error("control", "socket_group", repeat('g', 64),
		  "key 'socket_group': longer than 63 bytes");
	key_error("control", "socket_group", "a\x01z",
		  "key 'socket_group': contains a control character");
	key_error("control", "socket_mode", "0778", mode);
	key_error("control", "socket_mode", "1000", mode);
	key_error("control", "socket_mode", "8", mode);
	key_error("control", "socket_mode", "rw-rw----", mode);
	key_error("control", "socket_mode", "0o660", mode);
	key_error("control", "socket_mode", "-660", mode);
	key_error("control", "socket_mode", "", "key 'socket_mode': value is empty");
	key_error("control", "state_dir", "var/lib/iocsift",
		  "key 'state_dir': expected an absolute path shorter than 4096 bytes");
	snprintf(big, sizeof(big), "[control]\nstate_dir = /%s\n",
		 repeat('d', 4095));
	parse_error(big, 2,
		    "key 'state_dir': expected an absolute path shorter than 4096 bytes");
	snprintf(big, sizeof(big), "[control]\nstate_dir = /%s\n",
		 repeat('d', 4094));
	parse_ok(big);
	assert_int_equal(strlen(cfg.state_dir), 4095);

	key_error("control", "prometheus", "0.0.0.0:9464", loopback);
	key_error("control", "prometheus", "10.0.0.1:9464", loopback);
	key_error("control", "prometheus", "128.0.0.1:9464", loopback);
	key_error("control", "prometheus", "[::]:9464", loopback);
	key_error("control", "prometheus", "[2001:db8::1]:9464", loopback);
	key_error("control", "prometheus", "[::ffff:127.0.0.1]:9464", loopback);
	key_error("control", "prometheus", "example.com:9464", loopback);
	key_error("control", "prometheus", "127.1:9464", loopback);
	key_error("control", "prometheus", "localhost.:9464", loopback);
	key_error("control", "prometheus", "127.0.0.1", listen);
	key_error("control", "prometheus", "9464", listen);
	key_error("control", "prometheus", ":9464", listen);
	key_error("control", "prometheus", "127.0.0.1:", listen);
	key_error("control", "prometheus", "127.0.0.1:0", listen);
	key_error("control", "prometheus", "127.0.0.1:65536", listen);
	key_error("control", "prometheus", "127.0.0.1:http", listen);
	key_error("control", "prometheus", "::1:9464", listen);
	key_error("control", "prometheus", "[::1]9464", listen);
	key_error("control", "prometheus", "[::1:9464", listen);
	key_error("control", "prometheus", "[]:9464", listen);
	key_error("control", "prometheus", "[localhost]:9464", listen);
	build(path, sizeof(path), "", '1', 123, ":9464");
	key_error("control", "prometheus", path,
		  "key 'prometheus': longer than 127 bytes");

	key_error("control", "telemetry", "enabled",
		  "key 'telemetry': expected yes or no");
	key_error("control", "rollback_depth", "0",
		  "key 'rollback_depth': expected a number from 1 to 64");
	key_error("control", "rollback_depth", "65",
		  "key 'rollback_depth': expected a number from 1 to 64");
	key_error("control", "compact_threshold", "0",
		  "key 'compact_threshold': expected a number from 1 to 1000000");
	key_error("control", "compact_threshold", "1000001",
		  "key 'compact_threshold': expected a number from 1 to 1000000");
}

/* host_size 0 is all of the buffer; an error writes no port. */
static const struct {
	const char *name;
	const char *text;
	size_t host_size;
	int rc;
	const char *host;
	uint16_t port;
} listen_cases[] = {
	{ "IPv4 loopback", "127.0.0.1:9464", 0, 0, "127.0.0.1", 9464 },
	{ "localhost", "localhost:80", 0, 0, "127.0.0.1", 80 },
	{ "IPv6 loopback spelt out", "[0:0:0:0:0:0:0:1]:1", 0, 0, "::1", 1 },
	{ "all of 127/8, the top port", "127.255.0.9:65535", 0, 0,
	  "127.255.0.9", 65535 },
	/* Not loopback, or not HOST:PORT: both -EINVAL. */
	{ "not loopback", "0.0.0.0:9464", 0, -EINVAL, NULL, 0 },
	{ "no port", "127.0.0.1", 0, -EINVAL, NULL, 0 },
	{ "leading zero", "127.0.0.01:1", 0, -EINVAL, NULL, 0 },
	{ "leading space", " 127.0.0.1:1", 0, -EINVAL, NULL, 0 },
	{ "trailing space", "127.0.0.1:1 ", 0, -EINVAL, NULL, 0 },
	{ "empty", "", 0, -EINVAL, NULL, 0 },
	{ "NULL", NULL, 0, -EINVAL, NULL, 0 },
	/* "127.0.0.1" and its NUL. */
	{ "host one byte short", "127.0.0.1:1", 9, -ENOSPC, NULL, 0 },
	{ "host just large enough", "127.0.0.1:1", 10, 0, "127.0.0.1", 1 },
};

static void
test_parse_listen(void **state)
{
	char host[64], text[128];
	uint16_t port;

	(void)state;
	for (size_t i = 0; i < sizeof(listen_cases) / sizeof(listen_cases[0]);
	     i++) {
		size_t size = listen_cases[i].host_size != 0 ?
			listen_cases[i].host_size : sizeof(host);
		uint16_t want_port = listen_cases[i].rc == 0 ?
			listen_cases[i].port : 7;
		int rc;

		port = 7;
		rc = cfg_parse_listen(listen_cases[i].text, host, size, &port);
		if (rc != listen_cases[i].rc || port != want_port ||
		    (rc == 0 && listen_cases[i].host != NULL &&
		     strcmp(host, listen_cases[i].host) != 0))
			print_error("case '%s': %d, host '%s', port %u\n",
				    listen_cases[i].name, rc,
				    rc == 0 ? host : "", (unsigned int)port);
		assert_int_equal(rc, listen_cases[i].rc);
		if (rc == 0)
			assert_string_equal(host, listen_cases[i].host);
		assert_int_equal(port, want_port);
	}
	/* Names longer than any address. */
	port = 7;
	build(text, sizeof(text), "[", '1', 60, "]:1");
	assert_int_equal(cfg_parse_listen(text, host, sizeof(host), &port),
			 -EINVAL);
	build(text, sizeof(text), "", 'l', 60, ":1");
	assert_int_equal(cfg_parse_listen(text, host, sizeof(host), &port),
			 -EINVAL);
	assert_int_equal(port, 7);
}

/* ---- [feeds] and [sinks] ------------------------------------------------ */

static void
test_feeds(void **state)
{
	static const char *const formats[] = {
		"auto", "csv", "plain", "stix", "misp-csv", "misp-json",
		"zeek", "suricata-string", "suricata-md5", "suricata-sha256",
		"suricata-ipv4", "suricata-ipv6",
	};
	size_t len = 0;

	(void)state;
	append(&len, "[feeds]\n");
	for (size_t i = 0; i < sizeof(formats) / sizeof(formats[0]); i++)
		append(&len, "feed = /f/%zu  format=%s\n", i, formats[i]);
	append(&len, "feed = /f/with space.csv\n");
	append(&len, "feed =\trelative/a#b.csv\tformat=csv  # comment\n");
	append(&len, "feed = /f/x.csv # format=zeek\n");
	parse_ok(big);
	assert_int_equal(cfg.n_feeds, 15);
	for (size_t i = 0; i < sizeof(formats) / sizeof(formats[0]); i++) {
		char path[16];

		snprintf(path, sizeof(path), "/f/%zu", i);
		assert_string_equal(cfg.feeds[i].path, path);
		assert_string_equal(cfg.feeds[i].format, formats[i]);
		assert_int_equal(cfg.feeds[i].line, i + 2);
	}
	assert_string_equal(cfg.feeds[12].path, "/f/with space.csv");
	assert_string_equal(cfg.feeds[12].format, "auto");
	assert_string_equal(cfg.feeds[13].path, "relative/a#b.csv");
	assert_string_equal(cfg.feeds[13].format, "csv");
	assert_string_equal(cfg.feeds[14].path, "/f/x.csv");
	assert_string_equal(cfg.feeds[14].format, "auto");

	len = 0;
	append(&len, "[feeds]\n");
	for (unsigned int i = 0; i < CFG_FEEDS_MAX; i++)
		append(&len, "feed = /f/%u\n", i);
	parse_ok(big);
	assert_int_equal(cfg.n_feeds, CFG_FEEDS_MAX);
	append(&len, "feed = /f/too-many\n");
	parse_error(big, 66, "key 'feed': at most 64 feeds");

	snprintf(big, sizeof(big), "[feeds]\nfeed = /%s format=csv\n",
		 repeat('p', 4094));
	parse_ok(big);
	assert_int_equal(strlen(cfg.feeds[0].path), 4095);
}

static void
test_feeds_errors(void **state)
{
	(void)state;
	key_error("feeds", "feed", "/f/a.csv format=json",
		  "key 'feed': unknown format 'json' (auto, csv, ...");
	key_error("feeds", "feed", "/f/a.csv format=CSV",
		  "key 'feed': unknown format 'CSV' (...");
	key_error("feeds", "feed", "/f/a.csv format=",
		  "key 'feed': unknown format '' (...");
	key_error("feeds", "feed", "format=csv",
		  "key 'feed': expected PATH [format=FORMAT]");
	key_error("feeds", "feed", "/f/a.csv format=csv format=csv",
		  "key 'feed': expected PATH [format=FORMAT]");
	key_error("feeds", "feed", "/f/a.csv format=csv extra",
		  "key 'feed': expected PATH [format=FORMAT]");
	key_error("feeds", "feed", "", "key 'feed': value is empty");
	parse_error("[feeds]\nfeed = /f/a.csv\nfeed = /f/b.csv\n"
		    "feed = /f/a.csv format=csv\n", 4,
		    "key 'feed': '/f/a.csv' is already listed at line 2");
	snprintf(big, sizeof(big), "[feeds]\nfeed = /%s\n", repeat('p', 4095));
	parse_error(big, 2, "key 'feed': path longer than 4095 bytes");
}

static void
test_sinks(void **state)
{
	size_t len = 0;

	(void)state;
	parse_ok("[sinks]\nsink = file:///var/log/hits.jsonl\n"
		 "sink = tcp+tls://siem.example:6514?ca=/etc/ssl/ca.pem#x\n"
		 "sink = udp://[2001:db8::1]:514  # SIEM\n");
	assert_int_equal(cfg.n_sinks, 3);
	assert_string_equal(cfg.sinks[0], "file:///var/log/hits.jsonl");
	assert_string_equal(cfg.sinks[1],
			    "tcp+tls://siem.example:6514?ca=/etc/ssl/ca.pem#x");
	assert_string_equal(cfg.sinks[2], "udp://[2001:db8::1]:514");

	append(&len, "[sinks]\n");
	for (unsigned int i = 0; i < CFG_SINKS_MAX; i++)
		append(&len, "sink = udp://10.0.0.%u:514\n", i);
	parse_ok(big);
	assert_int_equal(cfg.n_sinks, CFG_SINKS_MAX);
	append(&len, "sink = udp://10.0.1.1:514\n");
	parse_error(big, 18, "key 'sink': at most 16 sinks");

	key_error("sinks", "sink", "/var/log/hits.jsonl",
		  "key 'sink': expected a URI (scheme://...)");
	key_error("sinks", "sink", "://x",
		  "key 'sink': expected a URI (scheme://...)");
	key_error("sinks", "sink", "", "key 'sink': value is empty");
	parse_error("[sinks]\nsink = udp://a:1\n\nsink = udp://a:1\n", 4,
		    "key 'sink': 'udp://a:1' is already listed at line 2");
	snprintf(big, sizeof(big), "[sinks]\nsink = file:///%s\n",
		 repeat('s', 1015));
	parse_ok(big);
	assert_int_equal(strlen(cfg.sinks[0]), 1023);
	snprintf(big, sizeof(big), "[sinks]\nsink = file:///%s\n",
		 repeat('s', 1016));
	parse_error(big, 2, "key 'sink': longer than 1023 bytes");
}

/* ---- syntax ------------------------------------------------------------- */

/* Throttling, the spool dir and the syslog host name. */
static void
test_sink_settings(void **state)
{
	(void)state;
	parse_ok("");
	assert_int_equal(cfg.throttle_window, 60);
	assert_string_equal(cfg.spool_dir, "");
	assert_string_equal(cfg.hostname, "");
	parse_ok("[sinks]\nthrottle_window = 0\nspool_dir = /srv/spool\n"
		 "hostname = span-01.example\n");
	assert_int_equal(cfg.throttle_window, 0);
	assert_string_equal(cfg.spool_dir, "/srv/spool");
	assert_string_equal(cfg.hostname, "span-01.example");
	key_error("sinks", "throttle_window", "86401",
		  "key 'throttle_window': expected a number from 0 to 86400");
	key_error("sinks", "spool_dir", "spool",
		  "key 'spool_dir': expected an absolute path shorter than 4096 bytes");
	key_error("sinks", "hostname", "span 01",
		  "key 'hostname': expected printable ASCII without spaces");
}

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

#define TEST(f) cmocka_unit_test_setup_teardown(f, test_setup, test_teardown)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		TEST(test_defaults),
		TEST(test_full),
		TEST(test_examples),
		TEST(test_dataplane),
		TEST(test_dataplane_errors),
		TEST(test_l4_port_overlap),
		TEST(test_port),
		TEST(test_port_errors),
		TEST(test_ports),
		TEST(test_control),
		TEST(test_control_errors),
		TEST(test_parse_listen),
		TEST(test_feeds),
		TEST(test_feeds_errors),
		TEST(test_sinks),
		TEST(test_sink_settings),
		TEST(test_syntax),
		TEST(test_nul_and_long_lines),
		TEST(test_all_or_nothing),
		TEST(test_eal_args),
		TEST(test_load),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
