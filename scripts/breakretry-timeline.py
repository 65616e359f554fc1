#!/usr/bin/env python3
"""The timeline of oplock/lease break retries in a capture, as tshark sees it (issue 23).

Usage: scripts/breakretry-timeline.py CAPTURE [--tsv]

Prints, from tshark alone (no smbcheck):
- every break notification copy (SMB2 OPLOCK_BREAK, MessageId 0xFFFFFFFFFFFFFFFF): frame,
  time (seconds from the first frame), tcp.stream, FileId or lease key, and the frames of the
  TCP retransmissions of its segment (same stream, same tcp.seq, server to client, flagged
  tcp.analysis.retransmission);
- every acknowledgment (OPLOCK_BREAK request) with the server's answer: its response
  (same stream and MessageId) or the next RST from the server on that stream;
- every CREATE that got a STATUS_PENDING interim response: request, interim and final
  response frames and times, and the wait (request to final response);
- RSTs from the server.
With --tsv: the same as tab-separated records (kind first), for tests.
Needs python3 and tshark (tested with 4.0.17).
"""
import subprocess
import sys

FIELDS = [
    "frame.number", "frame.time_relative", "tcp.stream", "tcp.srcport", "tcp.dstport",
    "tcp.seq", "tcp.len", "tcp.flags.reset", "tcp.analysis.retransmission",
    "smb2.cmd", "smb2.flags.response", "smb2.flags.async", "smb2.nt_status", "smb2.msg_id",
    "smb2.fid", "smb2.lease.lease_key",
]
NOTIFY_ID = "18446744073709551615"


def rows(capture):
    cmd = ["tshark", "-n", "-r", capture, "-T", "fields", "-E", "occurrence=f"]
    for f in FIELDS:
        cmd += ["-e", f]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    for line in out.splitlines():
        r = dict(zip(FIELDS, line.split("\t")))
        yield r


def main():
    capture = sys.argv[1]
    tsv = "--tsv" in sys.argv[2:]
    frames = list(rows(capture))
    copies, acks, creates, rsts = [], [], {}, []
    retrans = [r for r in frames if r["tcp.analysis.retransmission"]]
    for r in frames:
        srv = r["tcp.srcport"] == "445"
        if r["tcp.flags.reset"] in ("1", "True") and srv:
            rsts.append(r)
        if r["smb2.cmd"] == "18" and srv and r["smb2.msg_id"] == NOTIFY_ID \
                and not r["tcp.analysis.retransmission"]:
            rt = [x for x in retrans if x["tcp.stream"] == r["tcp.stream"]
                  and x["tcp.seq"] == r["tcp.seq"] and x["tcp.srcport"] == "445"]
            copies.append((r, rt))
        if r["smb2.cmd"] == "18" and not srv and not r["tcp.analysis.retransmission"]:
            key = (r["tcp.stream"], r["smb2.msg_id"])
            resp = next((x for x in frames if x["smb2.cmd"] == "18" and x["tcp.srcport"] == "445"
                         and (x["tcp.stream"], x["smb2.msg_id"]) == key), None)
            rst = next((x for x in rsts_after(frames, r)), None)
            acks.append((r, resp, rst))
        if r["smb2.cmd"] == "5" and not r["tcp.analysis.retransmission"]:
            key = (r["tcp.stream"], r["smb2.msg_id"])
            if not srv:
                creates[key] = [r, None, None]
            elif key in creates:
                if r["smb2.nt_status"] == "0x00000103":
                    creates[key][1] = r
                elif creates[key][2] is None:
                    creates[key][2] = r
    t = lambda r: float(r["frame.time_relative"])
    what = lambda r: r["smb2.lease.lease_key"] or r["smb2.fid"]
    if tsv:
        for r, rt in copies:
            print("copy", r["frame.number"], r["frame.time_relative"], r["tcp.stream"], what(r),
                  len(rt), ",".join(x["frame.number"] for x in rt), sep="\t")
        for r, resp, rst in acks:
            print("ack", r["frame.number"], r["frame.time_relative"], r["tcp.stream"], what(r),
                  resp["frame.number"] if resp else "-", resp["smb2.nt_status"] if resp else "-",
                  rst["frame.number"] if rst else "-", sep="\t")
        for req, interim, final in creates.values():
            if interim and final:
                print("create", req["frame.number"], req["frame.time_relative"], req["tcp.stream"],
                      interim["frame.number"], final["frame.number"], final["frame.time_relative"],
                      final["smb2.nt_status"], "%.6f" % (t(final) - t(req)), sep="\t")
        for r in rsts:
            print("rst", r["frame.number"], r["frame.time_relative"], r["tcp.stream"], sep="\t")
        return
    print("break copies (frame, time s, tcp.stream, FileId or lease key, TCP retransmissions of its segment):")
    for r, rt in copies:
        frames_rt = ", ".join(x["frame.number"] for x in rt)
        print(f"- #{r['frame.number']} {t(r):.6f} stream {r['tcp.stream']} {what(r)}: "
              f"{len(rt)} retransmissions" + (f" ({frames_rt})" if rt else ""))
    print("acknowledgments (frame, time s, tcp.stream, FileId or lease key -> server's answer):")
    for r, resp, rst in acks:
        ans = (f"response #{resp['frame.number']} {resp['smb2.nt_status']}" if resp
               else (f"RST #{rst['frame.number']} {t(rst):.6f}" if rst else "no answer"))
        print(f"- #{r['frame.number']} {t(r):.6f} stream {r['tcp.stream']} {what(r)} -> {ans}")
    print("CREATEs that went STATUS_PENDING (request, interim, final response, wait):")
    for req, interim, final in creates.values():
        if interim and final:
            print(f"- #{req['frame.number']} {t(req):.6f} stream {req['tcp.stream']} -> interim "
                  f"#{interim['frame.number']} {t(interim):.6f} -> final #{final['frame.number']} "
                  f"{t(final):.6f} {final['smb2.nt_status']}: waited {t(final) - t(req):.6f} s")
    print("RSTs from the server: " + (", ".join(
        f"#{r['frame.number']} {t(r):.6f} stream {r['tcp.stream']}" for r in rsts) or "none"))


def rsts_after(frames, ack):
    n = int(ack["frame.number"])
    for x in frames:
        if int(x["frame.number"]) > n and x["tcp.stream"] == ack["tcp.stream"] \
                and x["tcp.srcport"] == "445" and x["tcp.flags.reset"] in ("1", "True"):
            yield x


if __name__ == "__main__":
    main()
