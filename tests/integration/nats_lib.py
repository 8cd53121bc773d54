"""nats_lib.py -- a real nats-server (Debian's, with JetStream) for the
tests: started on a free loopback port with its store in the test's work
directory, stopped, killed and started again on the same store; and
nats_stream_tool (built by meson) to make streams and read them back.
The system's nats-server service and its port 4222 are never touched."""
import atexit
import json
import os
import signal
import subprocess
import time

from rsyslog_lib import check, fail, free_port  # noqa: F401

NATS_SERVER = "/usr/sbin/nats-server"


class NatsServer:
    def __init__(self, work, name, port=None, config=None):
        self.work = os.path.join(work, name)
        self.store = os.path.join(self.work, "store")
        self.log = os.path.join(self.work, "nats-server.log")
        self.port = port or free_port()
        self.config = config
        self.proc = None
        os.makedirs(self.store, exist_ok=True)
        atexit.register(self.kill)

    @property
    def url(self):
        return "nats://127.0.0.1:%d" % self.port

    def start(self, timeout=20):
        check(os.path.exists(NATS_SERVER),
              "nats-server is not installed (apt-get install nats-server)")
        cmd = [NATS_SERVER, "-js", "-a", "127.0.0.1", "-p", str(self.port),
               "-sd", self.store, "-n", os.path.basename(self.work)]
        if self.config:
            cmd += ["-c", self.config]
        log = open(self.log, "a")
        self.proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT)
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.proc.poll() is not None:
                fail("nats-server exited %d:\n%s" % (self.proc.returncode,
                                                      self.text()))
            if "Server is ready" in self.text():
                return
            time.sleep(0.05)
        fail("nats-server did not start in %d s:\n%s" % (timeout, self.text()))

    def text(self):
        try:
            return open(self.log, errors="replace").read()
        except FileNotFoundError:
            return ""

    def stop(self):
        """SIGTERM, as a service manager stops it."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            self.proc.wait(timeout=30)
        self.proc = None

    def kill(self):
        """SIGKILL, a crash."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        self.proc = None


class StreamTool:
    """tests/integration/nats_stream_tool: create and dump streams."""

    def __init__(self, exe):
        self.exe = exe

    def create(self, url, stream, subject, window_s=0):
        p = subprocess.run([self.exe, url, "create", stream, subject,
                            str(window_s)], capture_output=True, text=True)
        check(p.returncode == 0, "nats_stream_tool create: " + p.stderr)

    def dump(self, url, stream, ca=None, cert=None):
        """Every message of the stream: dicts of seq, subject, msg_id and
        data; None when the stream does not exist yet. ca, cert (a pair):
        TLS with these (url tls://...)."""
        env = dict(os.environ)
        if ca:
            env["NATS_TOOL_CA"] = ca
        if cert:
            env["NATS_TOOL_CERT"], env["NATS_TOOL_KEY"] = cert
        p = subprocess.run([self.exe, url, "dump", stream],
                           capture_output=True, text=True, env=env)
        if p.returncode != 0:
            if "not found" in p.stderr.lower():
                return None
            fail("nats_stream_tool dump: " + p.stderr)
        return [json.loads(line) for line in p.stdout.splitlines() if line]

    def wait_count(self, url, stream, count, timeout=60, ca=None, cert=None):
        """The stream's messages once it holds at least count (or the
        timeout passed)."""
        deadline = time.time() + timeout
        while True:
            got = self.dump(url, stream, ca=ca, cert=cert) or []
            if len(got) >= count or time.time() > deadline:
                return got
            time.sleep(0.2)
