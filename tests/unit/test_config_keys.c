/* test_config_keys.c -- each key of the configuration file as
 * config_keys.c reads it, section by section: the values it takes, at
 * their limits, and the errors of the values it refuses, with their
 * messages; listening addresses (cfg_parse_listen()); [port] sections
 * whose devices or lcores collide. The syntax and the file are
 * test_config.c. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "config_fixture.h"
#include "indicator.h"

/* ---- helpers ------------------------------------------------------------ */

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
	key_ok("dataplane", "vxlan_port", "8472");
	assert_int_equal(cfg.vxlan_port, 8472);
	assert_int_equal(cfg.geneve_port, 6081);
	key_ok("dataplane", "vxlan_port", "0");
	assert_int_equal(cfg.vxlan_port, 0);
	key_ok("dataplane", "geneve_port", "65535");
	assert_int_equal(cfg.geneve_port, 65535);
	assert_int_equal(cfg.vxlan_port, 4789);
	key_ok("dataplane", "geneve_port", "00");
	assert_int_equal(cfg.geneve_port, 0);
	key_ok("dataplane", "syslog_tcp_ports", "6514, 10514");
	assert_int_equal(cfg.n_syslog_tcp_ports, 2);
	assert_int_equal(cfg.syslog_tcp_ports[1], 10514);
	key_ok("dataplane", "dns_tcp_ports", "5353");
	assert_int_equal(cfg.dns_tcp_ports[0], 5353);
	key_ok("dataplane", "tcp_streams", "64");
	assert_int_equal(cfg.tcp_streams, 64);
	key_ok("dataplane", "tcp_buffer", "4095");
	assert_int_equal(cfg.tcp_buffer, 4095);
	key_ok("dataplane", "tcp_idle_timeout", "86400");
	assert_int_equal(cfg.tcp_idle_timeout, 86400);
	key_ok("dataplane", "fragment_datagrams", "16");
	assert_int_equal(cfg.fragment_datagrams, 16);
	key_ok("dataplane", "fragment_datagrams", "65536");
	assert_int_equal(cfg.fragment_datagrams, 65536);
	key_ok("dataplane", "fragment_timeout", "1");
	assert_int_equal(cfg.fragment_timeout, 1);
	key_ok("dataplane", "fragment_timeout", "300");
	assert_int_equal(cfg.fragment_timeout, 300);
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

	key_error("dataplane", "vxlan_port", "65536",
		  "key 'vxlan_port': expected a number from 0 to 65535");
	key_error("dataplane", "vxlan_port", "4789,4790",
		  "key 'vxlan_port': expected a number from 0 to 65535");
	key_error("dataplane", "syslog_tcp_ports", "514,514",
		  "key 'syslog_tcp_ports': port 514 is listed twice");
	key_error("dataplane", "tcp_streams", "63",
		  "key 'tcp_streams': expected a number from 64 to 1048576");
	key_error("dataplane", "tcp_buffer", "0",
		  "key 'tcp_buffer': expected a number from 1 to 4095");
	key_error("dataplane", "tcp_idle_timeout", "86401",
		  "key 'tcp_idle_timeout': expected a number from 1 to 86400");
	key_error("dataplane", "fragment_datagrams", "15",
		  "key 'fragment_datagrams': expected a number from 16 to 65536");
	key_error("dataplane", "fragment_timeout", "0",
		  "key 'fragment_timeout': expected a number from 1 to 300");
	key_error("dataplane", "fragment_timeout", "301",
		  "key 'fragment_timeout': expected a number from 1 to 300");
	key_error("dataplane", "geneve_port", "-1",
		  "key 'geneve_port': expected a number from 0 to 65535");
	key_error("dataplane", "geneve_port", "geneve",
		  "key 'geneve_port': expected...");

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

	assert_false(cfg.ports[0].af_packet_outgoing);
	port_key_ok("af_packet_outgoing", "yes");
	assert_true(cfg.ports[0].af_packet_outgoing);
	port_key_ok("af_packet_outgoing", "off");
	assert_false(cfg.ports[0].af_packet_outgoing);
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
	key_ok("control", "shrink_percent", "0");
	assert_int_equal(cfg.shrink_percent, 0);
	key_ok("control", "shrink_percent", "100");
	assert_int_equal(cfg.shrink_percent, 100);
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
	key_error("control", "shrink_percent", "101",
		  "key 'shrink_percent': expected a number from 0 to 100");
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

/* ---- [history] ---------------------------------------------------------- */

static void
test_history(void **state)
{
	(void)state;
	assert_int_equal(cfg.history_messages, CFG_HISTORY_SYSLOG | CFG_HISTORY_DNS);
	assert_int_equal(cfg.history_max_size, 1ULL << 30);
	assert_int_equal(cfg.history_max_age, 86400);
	assert_true(cfg.hunt_on_change);
	assert_int_equal(cfg.hunt_max_indicators, 100000);
	assert_string_equal(cfg.history_dir, "");
	key_ok("history", "history_messages", "dns");
	assert_int_equal(cfg.history_messages, CFG_HISTORY_DNS);
	key_ok("history", "history_messages", "syslog, dns");
	assert_int_equal(cfg.history_messages, CFG_HISTORY_SYSLOG | CFG_HISTORY_DNS);
	key_ok("history", "history_messages", "none");
	assert_int_equal(cfg.history_messages, 0);
	key_ok("history", "history_max_size", "10G");
	assert_int_equal(cfg.history_max_size, 10ULL << 30);
	key_ok("history", "history_max_size", "16M");
	assert_int_equal(cfg.history_max_size, 16ULL << 20);
	key_ok("history", "history_max_age", "7d");
	assert_int_equal(cfg.history_max_age, 7 * 86400);
	key_ok("history", "history_dir", "/srv/iocsift/history");
	assert_string_equal(cfg.history_dir, "/srv/iocsift/history");
	key_ok("history", "hunt_on_change", "no");
	assert_false(cfg.hunt_on_change);
	key_ok("history", "hunt_max_indicators", "1000000");
	assert_int_equal(cfg.hunt_max_indicators, 1000000);
}

static void
test_history_errors(void **state)
{
	(void)state;
	key_error("history", "history_messages", "http",
		  "key 'history_messages': expected syslog, dns, both "
		  "(\"syslog, dns\") or none");
	key_error("history", "history_messages", "none, dns",
		  "key 'history_messages': expected syslog, dns, both "
		  "(\"syslog, dns\") or none");
	key_error("history", "history_max_size", "15M",
		  "key 'history_max_size': expected a size of 16M or more, "
		  "such as 512M, 10G or 1T");
	key_error("history", "history_max_size", "10GB",
		  "key 'history_max_size': expected a size of 16M or more, "
		  "such as 512M, 10G or 1T");
	key_error("history", "history_max_age", "1w",
		  "key 'history_max_age': expected a duration such as 24h, "
		  "90m or 7d");
	key_error("history", "history_dir", "history",
		  "key 'history_dir': expected an absolute path shorter than 4096 bytes");
	key_error("history", "hunt_max_indicators", "0",
		  "key 'hunt_max_indicators': expected a number from 1 to 1000000");
}

/* ---- [exports] ------------------------------------------------------------ */

static void
test_exports(void **state)
{
	(void)state;
	parse_ok("");
	assert_string_equal(cfg.export_dir, "");
	assert_int_equal(cfg.export_formats, CFG_EXPORT_ALL);
	assert_string_equal(cfg.export_allow, "");
	parse_ok("[exports]\nexport_dir = /srv/exports\n"
		 "export_formats = rpz, nftables squid\n"
		 "export_allow = /etc/iocsift/allow.txt\n"
		 "export_filter = rpz types=domain feeds=3cx,intel "
		 "min_severity=high\n"
		 "export_filter = suricata types=md5,sha256\n");
	assert_string_equal(cfg.export_dir, "/srv/exports");
	assert_int_equal(cfg.export_formats, (1u << CFG_EXPORT_RPZ) |
			 (1u << CFG_EXPORT_NFTABLES) | (1u << CFG_EXPORT_SQUID));
	assert_string_equal(cfg.export_allow, "/etc/iocsift/allow.txt");
	const struct cfg_export_filter *f = &cfg.export_filters[CFG_EXPORT_RPZ];
	assert_int_equal(f->line, 5);
	assert_int_equal(f->types, 1u << PAT_TYPE_DOMAIN);
	assert_string_equal(f->feeds, "3cx,intel");
	assert_int_equal(f->min_severity, PAT_SEVERITY_HIGH);
	f = &cfg.export_filters[CFG_EXPORT_SURICATA];
	assert_int_equal(f->types, (1u << PAT_TYPE_MD5) |
			 (1u << PAT_TYPE_SHA256));
	assert_string_equal(f->feeds, "");
	assert_int_equal(f->min_severity, 0);
	assert_int_equal(cfg.export_filters[CFG_EXPORT_CSV].line, 0);
	/* Empty: off again. */
	key_ok("exports", "export_dir", "");
	assert_string_equal(cfg.export_dir, "");
}

static void
test_exports_errors(void **state)
{
	(void)state;
	key_error("exports", "export_dir", "exports",
		  "key 'export_dir': expected an absolute path shorter than "
		  "4096 bytes");
	key_error("exports", "export_formats", "rpz bind",
		  "key 'export_formats': unknown format 'bind' (nftables, "
		  "squid, rpz, hosts, suricata, csv)");
	key_error("exports", "export_filter", "bind types=domain",
		  "key 'export_filter': expected FORMAT [types=T,...] "
		  "[feeds=F,...] [min_severity=S] with FORMAT nftables, squid, "
		  "rpz, hosts, suricata or csv");
	key_error("exports", "export_filter", "nftables types=domain",
		  "key 'export_filter': nftables does not carry domain "
		  "indicators");
	key_error("exports", "export_filter", "csv types=ip",
		  "key 'export_filter': unknown type 'ip'");
	key_error("exports", "export_filter", "csv feeds=a,b/c",
		  "key 'export_filter': invalid feed name 'b/c' (1 to 128 of "
		  "A-Z a-z 0-9 . _ -)");
	key_error("exports", "export_filter", "csv min_severity=urgent",
		  "key 'export_filter': min_severity: expected low, medium, "
		  "high or critical, not 'urgent'");
	key_error("exports", "export_filter", "csv types=md5 types=url",
		  "key 'export_filter': 'types=' given twice");
	key_error("exports", "export_filter", "csv colour=red",
		  "key 'export_filter': unknown filter 'colour=red' (types=, "
		  "feeds=, min_severity=)");
	parse_error("[exports]\nexport_filter = csv types=md5\n"
		    "export_filter = csv types=url\n", 3,
		    "key 'export_filter': csv is already filtered at line 2");
	parse_error("[sinks]\nexport_dir = /srv\n", 2,
		    "unknown key 'export_dir' in [sinks] (it belongs in "
		    "[exports])");
}

#define TEST(f) \
	cmocka_unit_test_setup_teardown(f, config_fixture_setup, \
					config_fixture_teardown)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		TEST(test_dataplane),
		TEST(test_dataplane_errors),
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
		TEST(test_history),
		TEST(test_history_errors),
		TEST(test_exports),
		TEST(test_exports_errors),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
