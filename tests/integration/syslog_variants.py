"""Syslog as real devices send it, one message per variant, each with the
indicators it must hit and the header fields the parser must read: written
to a capture for `iocsift replay` and to a log file for `iocsift scan`.

usage: syslog_variants.py CAPTURE LOG_FILE FEED EXPECTED_JSON
"""
import json
import sys

from scapy.all import IP, UDP, Ether, Raw, wrpcap

SHA256 = "aa124a4b4df12b34e74ee7f6c683b2ebec4ce9a8edcf9be345823b4fdcf5d868"
FEED = f"""type,value
domain,journalide.org
ipv4,203.0.113.7
filename,3CXDesktopApp.exe
url,raw.githubusercontent.com/IconStorages/images/
sha256,{SHA256}
"""
BOM = "\ufeff"

# name, message bytes, indicators hit, and the header fields read
# (log.syslog.priority, hostname, appname, procid, msgid; the rest must be
# absent). Where a device's header is not RFC 3164 (Cisco IOS sequence
# numbers, Palo Alto and Fortinet without a timestamp, CEF and LEEF after
# the hostname) the fields are what rsyslog reads: its first word is the
# TAG.
VARIANTS = [
    ("rfc5424 structured data and BOM",
     ('<165>1 2026-11-26T10:00:05.003Z mymachine.example.com evntslog - ID47 '
      '[exampleSDID@32473 iut="3" eventSource="Application" eventID="1011"]'
      '[examplePriority@32473 class="high"] ' + BOM +
      'callback to journalide.org refused').encode(),
     ["journalide.org"],
     {"priority": 165, "hostname": "mymachine.example.com",
      "appname": "evntslog", "msgid": "ID47"}),
    ("rfc3164 without PRI",
     b"Nov 26 10:00:05 bastion sshd[4242]: Accepted password for root from "
     b"203.0.113.7 port 52971 ssh2",
     ["203.0.113.7"], {}),
    ("rfc3164 without hostname",
     b"<38>Nov 26 10:00:05 sshd[4242]: Failed password for root from "
     b"203.0.113.7 port 52971 ssh2",
     ["203.0.113.7"], {"priority": 38, "appname": "sshd", "procid": "4242"}),
    ("cisco asa",
     b"<166>Nov 26 2026 10:00:05: %ASA-6-302013: Built outbound TCP "
     b"connection 447236 for outside:203.0.113.7/443 (203.0.113.7/443) to "
     b"inside:10.0.0.14/52971 (10.0.0.14/52971)",
     ["203.0.113.7"], {"priority": 166, "appname": "%ASA-6-302013"}),
    ("cisco ios",
     b"<189>2041: *Nov 26 10:00:05.123: %SEC-6-IPACCESSLOGP: list 101 denied "
     b"tcp 10.0.0.14(52971) -> 203.0.113.7(443), 1 packet",
     ["203.0.113.7"], {"priority": 189, "appname": "2041"}),
    ("juniper junos (rfc5424 structured data)",
     b'<14>1 2026-11-26T10:00:05.123+01:00 srx01 RT_FLOW - '
     b'RT_FLOW_SESSION_CREATE [junos@2636.1.1.1.2.26 '
     b'source-address="10.0.0.14" source-port="52971" '
     b'destination-address="203.0.113.7" destination-port="443"] session '
     b'created 10.0.0.14/52971->203.0.113.7/443 junos-https',
     ["203.0.113.7"],
     {"priority": 14, "hostname": "srx01", "appname": "RT_FLOW",
      "msgid": "RT_FLOW_SESSION_CREATE"}),
    ("palo alto threat csv",
     b'<14>Nov 26 10:00:05 pa-fw01 1,2026/11/26 10:00:05,012801012345,'
     b'THREAT,url,2305,2026/11/26 10:00:05,10.0.0.14,203.0.113.7,0.0.0.0,'
     b'0.0.0.0,allow-web,,,ssl,vsys1,trust,untrust,ethernet1/2,ethernet1/1,'
     b'forward,2026/11/26 10:00:05,31243,1,52971,443,0,0,0x40,tcp,alert,'
     b'"journalide.org/",(9999),command-and-control,informational,'
     b'client-to-server',
     ["203.0.113.7", "journalide.org"],
     {"priority": 14, "hostname": "pa-fw01", "appname": "1,2026/11/26"}),
    ("fortinet fortigate key=value",
     b'<189>date=2026-11-26 time=10:00:05 devname="FGT60E" '
     b'devid="FGT60E0000000001" logid="0316013056" type="utm" '
     b'subtype="webfilter" level="warning" srcip=10.0.0.14 srcport=52971 '
     b'dstip=203.0.113.7 dstport=443 hostname="journalide.org" '
     b'action="blocked" url="/api/v1"',
     ["203.0.113.7", "journalide.org"],
     {"priority": 189, "appname": "date=2026-11-26"}),
    ("windows snare",
     b"<14>Nov 26 10:00:05 WS01 MSWinEventLog\t1\tSecurity\t4512\t"
     b"Thu Nov 26 10:00:05 2026\t4688\tMicrosoft-Windows-Security-Auditing"
     b"\tCORP\\bob\tN/A\tSuccess Audit\tWS01\tProcess Creation\t\t"
     b"A new process has been created. New Process Name: C:\\Users\\bob\\"
     b"AppData\\Local\\Programs\\3CXDesktopApp\\3CXDesktopApp.exe\t4512",
     ["3CXDesktopApp.exe"],
     {"priority": 14, "hostname": "WS01", "appname": "MSWinEventLog"}),
    ("windows nxlog (rfc5424)",
     ('<14>1 2026-11-26T10:00:05.123456+00:00 WS01 '
      'Microsoft-Windows-Sysmon 4242 - [NXLOG@14506 '
      'EventReceivedTime="2026-11-26 10:00:05" SourceModuleName="eventlog" '
      'EventID="1"] Process Create: Image: C:\\Program Files\\3CXDesktopApp'
      '\\3CXDesktopApp.exe Hashes: SHA256=' + SHA256.upper()).encode(),
     ["3CXDesktopApp.exe", SHA256],
     {"priority": 14, "hostname": "WS01",
      "appname": "Microsoft-Windows-Sysmon", "procid": "4242"}),
    ("cef in syslog",
     b"<134>Nov 26 10:00:05 proxy01 CEF:0|Zscaler|NSSWeblog|5.0|Allowed|"
     b"Allowed|3|act=Allowed src=10.0.0.14 dst=203.0.113.7 "
     b"request=https://raw.githubusercontent.com/IconStorages/images/main/"
     b"icon12.ico dhost=raw.githubusercontent.com",
     ["203.0.113.7", "raw.githubusercontent.com/IconStorages/images/"],
     {"priority": 134, "hostname": "proxy01", "appname": "CEF"}),
    ("leef in syslog",
     b"<13>Nov 26 10:00:05 qradar01 LEEF:2.0|Lancope|StealthWatch|1.0|41|^|"
     b"src=10.0.0.14^dst=203.0.113.7^domain=journalide.org^proto=tcp",
     ["203.0.113.7", "journalide.org"],
     {"priority": 13, "hostname": "qradar01", "appname": "LEEF"}),
    ("bytes that are not utf-8",
     b"<13>Nov 26 10:00:05 host01 app: \xff\xfe caf\xe9 \x80 "
     b"journalide.org \xc3",
     ["journalide.org"], {"priority": 13, "hostname": "host01",
                          "appname": "app"}),
]


def main():
    capture, log_file, feed, expected = sys.argv[1:5]
    frames = []
    for i, (_, message, _, _) in enumerate(VARIANTS):
        frame = (Ether() / IP(src="10.0.0.14", dst="10.0.0.2") /
                 UDP(sport=40000 + i, dport=514) / Raw(message))
        frame.time = 1795687205 + i
        frames.append(frame)
    wrpcap(capture, frames)
    with open(log_file, "wb") as out:
        out.write(b"".join(message + b"\n" for _, message, _, _ in VARIANTS))
    with open(feed, "w", encoding="ascii") as out:
        out.write(FEED)
    with open(expected, "w", encoding="utf-8") as out:
        json.dump([{"name": name, "hits": sorted(hits), "fields": fields}
                   for name, _, hits, fields in VARIANTS], out)


if __name__ == "__main__":
    main()
