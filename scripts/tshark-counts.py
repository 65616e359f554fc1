#!/usr/bin/env python3
"""Expected SMB message counts per command, as tshark dissects a capture.

Usage:
  scripts/tshark-counts.py CAPTURE          print the counts of one capture
  scripts/tshark-counts.py --stats CAPTURE...  markdown table of the figures in
                                            samples/README.md (this mode gives tshark the
                                            sample password to check SMB2 signatures)
  scripts/tshark-counts.py --all            rewrite tests/expected/counts/NAME.txt for every
                                            samples/NAME (pcap) and
                                            tests/expected/counts/zeek/NAME.txt for every
                                            tests/data/zeek/NAME trace (.keytab skipped)

Output, one line per (protocol, command, direction), sorted by protocol, command, direction:
  <smb1|smb2> <command code in decimal> <request|response> <count>

What is counted: one message per SMB1 header ("SMB Header": smb.cmd, smb.flags.response)
and one per SMB2 header ("SMB2 Header": smb2.cmd, smb2.flags.response), each element of a
compound counting once, in frames carried over NBSS (TCP), as direct children of a top-level
smb/smb2 layer. tshark gets no password or key, so encrypted messages (transform header
0xFD) are not decrypted and not counted; nothing nested inside a transform is counted either.
SMB over NetBIOS datagrams (browser mailslots) is not NBSS and is not counted.
Needs python3 (stdlib only) and tshark (tested with 4.0.17).
"""
import json
import os
import subprocess
import sys
from collections import Counter

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT_DIR = os.path.join(ROOT, "tests", "expected", "counts")

TSHARK = [
    "tshark", "-n",
    "-o", "tcp.desegment_tcp_streams:TRUE",
    "-o", "nbss.desegment_nbss_commands:TRUE",
    "-T", "json", "--no-duplicate-keys",
    "-J", "nbss smb smb2",
    "-Y", "nbss",
]


def iter_frames(path, cmd=None):
    """Stream the JSON array tshark prints, one frame object at a time."""
    proc = subprocess.Popen((cmd or TSHARK) + ["-r", path], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE)
    dec = json.JSONDecoder()
    buf = ""
    reader = __import__("io").TextIOWrapper(proc.stdout, encoding="utf-8", errors="replace")
    started = False
    while True:
        chunk = reader.read(1 << 20)
        if chunk:
            buf += chunk
        pos = 0
        while True:
            # skip whitespace, the opening '[', separators and the closing ']'
            while pos < len(buf) and buf[pos] in " \t\r\n,[]":
                if buf[pos] == "[":
                    started = True
                pos += 1
            if pos >= len(buf):
                break
            try:
                obj, end = dec.raw_decode(buf, pos)
            except json.JSONDecodeError:
                if not chunk:
                    raise
                break  # need more input
            yield obj
            pos = end
        buf = buf[pos:]
        if not chunk:
            break
    err = proc.stderr.read().decode("utf-8", "replace")
    rc = proc.wait()
    if rc != 0:
        raise SystemExit(f"tshark failed on {path} (exit {rc}): {err.strip()}")


def as_list(v):
    return v if isinstance(v, list) else [v]


def find(tree, key):
    """First value of key in a nested tshark JSON tree (depth first)."""
    if isinstance(tree, dict):
        if key in tree:
            return tree[key]
        for v in tree.values():
            r = find(v, key)
            if r is not None:
                return r
    elif isinstance(tree, list):
        for v in tree:
            r = find(v, key)
            if r is not None:
                return r
    return None


def count(path):
    counts = Counter()
    for frame in iter_frames(path):
        layers = frame.get("_source", {}).get("layers", {})
        if "nbss" not in layers:
            continue
        for proto, layer_key, hdr_key, cmd_key, resp_key in (
            ("smb1", "smb", "SMB Header", "smb.cmd", "smb.flags.response"),
            ("smb2", "smb2", "SMB2 Header", "smb2.cmd", "smb2.flags.response"),
        ):
            for layer in as_list(layers.get(layer_key, [])):
                if not isinstance(layer, dict):
                    continue
                for hdr in as_list(layer.get(hdr_key, [])):
                    cmd = hdr.get(cmd_key) if isinstance(hdr, dict) else None
                    if isinstance(cmd, list):  # not expected in a header, but be safe
                        cmd = cmd[0]
                    resp = find(hdr, resp_key)
                    if isinstance(resp, list):
                        resp = resp[0]
                    if cmd is None or resp is None:
                        continue
                    code = int(cmd, 0)
                    direction = "response" if str(resp) in ("1", "True", "true") else "request"
                    counts[(proto, code, direction)] += 1
    return counts


PASSWORD = "Secr3t!pass"
ZERO_SIG = "00:00:00:00:00:00:00:00"
BSRSPYL = "42:53:52:53:50:59:4c:20"


def stats(path):
    """Figures for samples/README.md. Unlike the counts, this run gives tshark the sample
    password so that it checks SMB2 signatures (HMAC-SHA256 and AES-CMAC only; tshark 4.0
    marks every AES-GMAC signature bad and cannot check the final session setup response)."""
    cmd = ["tshark", "-n", "-o", "tcp.desegment_tcp_streams:TRUE",
           "-o", f"ntlmssp.nt_password:{PASSWORD}", "-o", "smb2.verify_signatures:TRUE",
           "-T", "json", "--no-duplicate-keys", "-J", "tcp nbss smb smb2"]
    st = Counter()
    streams = set()
    dialects, signing, ciphers = set(), set(), set()
    for frame in iter_frames(path, cmd):
        st["frames"] += 1
        layers = frame.get("_source", {}).get("layers", {})
        if "nbss" not in layers:
            continue
        tcp = layers.get("tcp", {})
        if isinstance(tcp, list):
            tcp = tcp[0]
        from_server = tcp.get("tcp.srcport") in ("445", "139")
        for layer in as_list(layers.get("smb", [])):
            for hdr in as_list(layer.get("SMB Header", [])) if isinstance(layer, dict) else []:
                st["smb1"] += 1
                sig = find(hdr, "smb.signature") or ""
                st["smb1 sig " + ("zero" if sig == ZERO_SIG else
                                  "BSRSPYL" if sig == BSRSPYL else "mac")] += 1
                if int(hdr.get("smb.cmd", "0"), 0) == 0x24 and find(hdr, "smb.flags.response") == "0":
                    st["smb1 lockingx from server" if from_server else "smb1 lockingx from client"] += 1
                    if not from_server and find(layer, "smb.lock.type.oplock_release") == "1":
                        st["smb1 oplock release"] += 1
                streams.add(tcp.get("tcp.stream"))
        for layer in as_list(layers.get("smb2", [])):
            if not isinstance(layer, dict):
                continue
            if "SMB2 Transform Header" in layer:
                st["smb2 transform"] += 1
                streams.add(tcp.get("tcp.stream"))
                enc = layer.get("Encrypted SMB3 data", {})
                for inner in as_list(enc.get("smb2", []) if isinstance(enc, dict) else []):
                    if isinstance(inner, dict):
                        st["decrypted by tshark"] += len(as_list(inner.get("SMB2 Header", [])))
            for hdr in as_list(layer.get("SMB2 Header", [])):
                st["smb2"] += 1
                streams.add(tcp.get("tcp.stream"))
                cmdc = int(hdr.get("smb2.cmd", "-1"), 0)
                resp = find(hdr, "smb2.flags.response") == "1"
                if find(hdr, "smb2.flags.signature") == "1":
                    st["smb2 signed"] += 1
                sigtree = hdr.get("smb2.signature_tree", {})
                if "smb2.good_signature" in sigtree:
                    st["smb2 good"] += 1
                if "smb2.bad_signature" in sigtree:
                    st["smb2 bad"] += 1
                if cmdc == 18:
                    if resp and hdr.get("smb2.msg_id") == "18446744073709551615":
                        st["break notification"] += 1
                    elif resp:
                        st["break ack response"] += 1
                    else:
                        st["break ack"] += 1
                if cmdc == 1 and not resp and find(layer, "smb2.ses_req_flags.session_binding") == "1":
                    st["binding requests"] += 1
                if cmdc == 0 and resp:
                    for k, bucket in (("smb2.dialect", dialects),
                                      ("smb2.negotiate_context.signing_id", signing),
                                      ("smb2.negotiate_context.cipher_id", ciphers)):
                        v = find(layer, k)
                        if v is not None:
                            bucket.update(as_list(v))
    st["connections"] = len(streams)
    return st, dialects, signing, ciphers


STAT_COLUMNS = ["frames", "connections", "smb1", "smb2", "smb2 transform",
                "decrypted by tshark", "smb2 signed",
                "smb2 good", "smb2 bad", "smb1 sig mac", "smb1 sig zero", "smb1 sig BSRSPYL",
                "break notification", "break ack", "break ack response",
                "smb1 lockingx from server", "smb1 oplock release", "binding requests"]


def render(counts):
    order = {"request": 0, "response": 1}
    keys = sorted(counts, key=lambda k: (k[0], k[1], order[k[2]]))
    return "".join(f"{p} {c} {d} {counts[(p, c, d)]}\n" for p, c, d in keys)


def all_captures():
    caps = []
    sdir = os.path.join(ROOT, "samples")
    for n in sorted(os.listdir(sdir)):
        if n.endswith((".pcap", ".pcapng", ".cap")):
            caps.append(os.path.join(sdir, n))
    zdir = os.path.join(ROOT, "tests", "data", "zeek")
    if os.path.isdir(zdir):
        for n in sorted(os.listdir(zdir)):
            if n.endswith((".pcap", ".pcapng", ".cap")):
                caps.append(os.path.join(zdir, n))
    else:
        print(f"note: {zdir} not found, only samples/ done", file=sys.stderr)
    return caps


def main(argv):
    if len(argv) == 2 and argv[1] == "--all":
        os.makedirs(OUT_DIR, exist_ok=True)
        os.makedirs(os.path.join(OUT_DIR, "zeek"), exist_ok=True)
        for cap in all_captures():
            name = os.path.basename(cap)
            # zeek/smb311.pcap and samples/smb311.pcap share a name: keep zeek's apart
            sub = "zeek" if os.path.basename(os.path.dirname(cap)) == "zeek" else ""
            text = render(count(cap))
            with open(os.path.join(OUT_DIR, sub, name + ".txt"), "w") as f:
                f.write(text)
            print(f"{name}: {sum(int(l.split()[3]) for l in text.splitlines())} messages",
                  file=sys.stderr)
        return 0
    if len(argv) >= 3 and argv[1] == "--stats":
        print("| sample | " + " | ".join(STAT_COLUMNS) + " | dialect | signing id | cipher id |")
        print("|---" * (len(STAT_COLUMNS) + 4) + "|")
        for cap in argv[2:]:
            st, d, sg, c = stats(cap)
            print(f"| {os.path.basename(cap)} | " + " | ".join(str(st[k]) for k in STAT_COLUMNS)
                  + f" | {','.join(sorted(d))} | {','.join(sorted(sg))} | {','.join(sorted(c))} |")
        return 0
    if len(argv) == 2 and not argv[1].startswith("-"):
        sys.stdout.write(render(count(argv[1])))
        return 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
