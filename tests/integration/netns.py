"""netns.py -- the stand-in SPAN port of the integration tests: a veth
pair whose peer lives in a network namespace made for the test, so that
tcpreplay in the namespace feeds iocsift's net_af_packet port."""
import os
import subprocess
import sys

# meson's exit code for a skipped test.
EXIT_SKIP = 77


def require_root(test):
    """Skips the test (exit 77, counted by meson as skipped, never as
    passed) unless it runs as root: namespaces, veth pairs and raw
    sockets need it. CI runs the tests as root."""
    if os.geteuid() != 0:
        print("%s: skipped: needs root (network namespaces, veth pairs, "
              "AF_PACKET); run the test command as root" % test,
              file=sys.stderr)
        sys.exit(EXIT_SKIP)


def _run(cmd):
    p = subprocess.run(cmd, capture_output=True, text=True)
    if p.returncode != 0:
        raise RuntimeError("%s: %s" % (" ".join(cmd), p.stderr.strip()))


def setup_network(ns, host_if, peer_if):
    """Makes namespace ns with peer_if in it, host_if here, both up."""
    subprocess.run(["ip", "netns", "del", ns], capture_output=True)
    _run(["ip", "netns", "add", ns])
    _run(["ip", "link", "add", host_if, "type", "veth", "peer", "name", peer_if,
          "netns", ns])
    # No IPv6: the kernel's own router solicitations would be traffic too.
    for cmd in (["sysctl", "-qw", "net.ipv6.conf.%s.disable_ipv6=1" % host_if],
                ["ip", "link", "set", host_if, "up"]):
        _run(cmd)
    for cmd in (["sysctl", "-qw", "net.ipv6.conf.%s.disable_ipv6=1" % peer_if],
                ["ip", "link", "set", peer_if, "up"],
                ["ip", "link", "set", "lo", "up"]):
        _run(["ip", "netns", "exec", ns] + cmd)


def remove_network(ns):
    """The namespace goes, and its veth pair with it."""
    subprocess.run(["ip", "netns", "del", ns], capture_output=True)
