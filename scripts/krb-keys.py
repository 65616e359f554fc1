#!/usr/bin/env python3
"""What tshark sees in a Kerberos-authenticated SMB capture, for samples/README.md.

Usage:
  scripts/krb-keys.py [--keytab KEYTAB] CAPTURE...   (default keytab: samples/krb.keytab)

For each capture, two tshark runs:
 1. with -o kerberos.decrypt:TRUE and the keytab: every AP-REQ / AP-REP in a SESSION_SETUP
    (client principal, service principal, ticket enctype and kvno, ticket session key,
    authenticator subkey, AP-REP subkey), the SessionId of its response, and the messages on
    port 88 (AS-REQ, AS-REP, TGS-REQ, TGS-REP, KRB-ERROR with its code);
 2. with the SMB session keys given by hand (-o 'uat:smb2_seskey_list:SESID,KEY,"",""',
    one record per SessionId; the key is the first 16 bytes of the AP-REP subkey of the
    first session setup of that SessionId) and -o smb2.verify_signatures:TRUE: SMB2 headers,
    signed ones, smb2.good_signature / smb2.bad_signature, transform headers and the SMB2
    headers tshark found inside them.
tshark 4.0 checks HMAC-SHA256 and AES-CMAC only (every AES-GMAC signature is marked bad),
never checks a final session setup response, and keeps one key per SessionId (a bound
channel's own key is not used).

Needs python3 (stdlib only) and tshark (tested with 4.0.17).
"""
import importlib.util
import os
import sys
from collections import Counter

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
_spec = importlib.util.spec_from_file_location(
    "tshark_counts", os.path.join(ROOT, "scripts", "tshark-counts.py"))
tc = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(tc)
iter_frames, as_list, find = tc.iter_frames, tc.as_list, tc.find

MSG = {"10": "AS-REQ", "11": "AS-REP", "12": "TGS-REQ", "13": "TGS-REP", "14": "AP-REQ",
       "15": "AP-REP", "22": "KRB-CRED", "30": "KRB-ERROR"}
KRB_ERR = {"13": "KDC_ERR_BADOPTION", "24": "KDC_ERR_PREAUTH_FAILED",
           "25": "KDC_ERR_PREAUTH_REQUIRED", "52": "KRB_ERR_RESPONSE_TOO_BIG"}
ETYPE = {"17": "aes128-cts-hmac-sha1-96", "18": "aes256-cts-hmac-sha1-96",
         "23": "rc4-hmac"}


def walk(tree, path=()):
    """Yield (path, key, value) for every leaf of a tshark JSON tree."""
    if isinstance(tree, dict):
        for k, v in tree.items():
            if isinstance(v, (dict, list)) and not (
                    isinstance(v, list) and v and all(isinstance(x, str) for x in v)):
                yield from walk(v, path + (k,))
            else:
                for x in as_list(v):
                    yield path, k, x
    elif isinstance(tree, list):
        for x in tree:
            yield from walk(x, path)


def hexkey(v):
    return v.replace(":", "")


def ap_info(blob):
    """Fields of the AP-REQ or AP-REP (and KRB-CRED) inside a session setup's security blob."""
    info = {"msgs": [], "sname": [], "cname": [], "realm": []}
    for path, k, v in walk(blob):
        p = "/".join(path)
        if k == "kerberos.msg_type":
            info["msgs"].append(MSG.get(v, v))
        if "kerberos.krb_cred_element" in p:
            continue  # the forwarded TGT (delegation) inside an AP-REQ authenticator
        if k == "kerberos.SNameString" and "ap_req_element/kerberos.ticket_element" in p:
            info["sname"].append(v)
        elif k == "kerberos.realm" and p.endswith("kerberos.ticket_element"):
            info["srealm"] = v
        elif k == "kerberos.CNameString" and "encTicketPart_element" in p:
            info["cname"].append(v)
        elif k == "kerberos.crealm" and "encTicketPart_element" in p:
            info["crealm"] = v
        elif p.endswith("kerberos.ticket_element/kerberos.enc_part_element"):
            if k == "kerberos.etype":
                info["ticket_etype"] = v
            elif k == "kerberos.kvno":
                info["kvno"] = v
        elif p.endswith("encTicketPart_element/kerberos.key_element"):
            info["ticket_key" if k == "kerberos.keyvalue" else "ticket_keytype"] = v
        elif "kerberos.authenticator_element" in p and p.endswith("kerberos.subkey_element"):
            info["auth_subkey" if k == "kerberos.keyvalue" else "auth_subkeytype"] = v
        elif p.endswith("encAPRepPart_element/kerberos.subkey_element"):
            info["aprep_subkey" if k == "kerberos.keyvalue" else "aprep_subkeytype"] = v
    return info


def kerberos_view(path, keytab):
    cmd = ["tshark", "-n", "-o", "tcp.desegment_tcp_streams:TRUE",
           "-o", "kerberos.decrypt:TRUE", "-o", f"kerberos.file:{keytab}",
           "-T", "json", "--no-duplicate-keys", "-J", "frame tcp udp smb2 kerberos",
           "-Y", "kerberos or smb2.cmd == 1"]
    kdc = Counter()
    setups = []  # dicts, in frame order
    for frame in iter_frames(path, cmd):
        layers = frame["_source"]["layers"]
        stream = find(layers.get("tcp", {}), "tcp.stream")
        if "kerberos" in layers:  # port 88 (top-level Kerberos, not inside SMB)
            for krb in as_list(layers["kerberos"]):
                # the first msg-type is the message's own (an AP-REQ inside a TGS-REQ's
                # padata comes later)
                top = next((v for _, k, v in walk(krb) if k == "kerberos.msg_type"), "?")
                name = MSG.get(top, top)
                if name == "KRB-ERROR":
                    code = find(krb, "kerberos.error_code")
                    name += f" {KRB_ERR.get(code, '?')} ({code})"
                kdc[name] += 1
        for layer in as_list(layers.get("smb2", [])):
            if not isinstance(layer, dict):
                continue
            for hdr in as_list(layer.get("SMB2 Header", [])):
                if int(hdr.get("smb2.cmd", "-1"), 0) != 1:
                    continue
                resp = find(hdr, "smb2.flags.response") == "1"
                setups.append({
                    "frame": frame_number(frame), "stream": stream, "response": resp,
                    "sesid": int(find(hdr, "smb2.sesid"), 16),
                    "status": find(hdr, "smb2.nt_status"),
                    "binding": find(layer, "smb2.ses_req_flags.session_binding") == "1",
                    **ap_info(layer),
                })
    return kdc, setups


def frame_number(frame):
    return int(frame["_source"]["layers"]["frame"]["frame.number"])


def signature_view(path, keys):
    cmd = ["tshark", "-n", "-o", "tcp.desegment_tcp_streams:TRUE",
           "-o", "smb2.verify_signatures:TRUE", "-T", "json", "--no-duplicate-keys",
           "-J", "tcp nbss smb2"]
    for wire, key in keys:
        cmd += ["-o", f'uat:smb2_seskey_list:{wire},{key},"",""']
    st = Counter()
    streams = set()
    neg = {}
    for frame in iter_frames(path, cmd):
        st["frames"] += 1
        layers = frame["_source"]["layers"]
        for layer in as_list(layers.get("smb2", [])):
            if not isinstance(layer, dict):
                continue
            streams.add(find(layers.get("tcp", {}), "tcp.stream"))
            if "SMB2 Transform Header" in layer:
                st["transform"] += 1
                enc = layer.get("Encrypted SMB3 data", {})
                for inner in as_list(enc.get("smb2", []) if isinstance(enc, dict) else []):
                    if isinstance(inner, dict):
                        st["decrypted"] += len(as_list(inner.get("SMB2 Header", [])))
            for hdr in as_list(layer.get("SMB2 Header", [])):
                st["smb2"] += 1
                if find(hdr, "smb2.flags.signature") == "1":
                    st["signed"] += 1
                sigtree = hdr.get("smb2.signature_tree", {})
                st["good"] += "smb2.good_signature" in sigtree
                st["bad"] += "smb2.bad_signature" in sigtree
                if int(hdr.get("smb2.cmd", "-1"), 0) == 0 and find(hdr, "smb2.flags.response") == "1":
                    for k in ("smb2.dialect", "smb2.negotiate_context.signing_id",
                              "smb2.negotiate_context.cipher_id"):
                        v = find(layer, k)
                        if v is not None:
                            neg[k.split(".")[-1]] = ",".join(as_list(v))
    st["connections"] = len(streams)
    return st, neg


def etype(t):
    return f"{t} ({ETYPE.get(t, '?')})" if t else "-"


def report(path, keytab):
    kdc, setups = kerberos_view(path, keytab)
    print(f"## {os.path.basename(path)}  ({os.path.getsize(path)} bytes)")
    print("port 88: " + (", ".join(f"{k} {v}" for k, v in sorted(kdc.items())) or "none"))
    keys = {}  # sesid -> first SMB session key
    pending = {}
    for s in setups:
        if not s["response"]:
            pending[s["stream"]] = s
            continue
        req = pending.pop(s["stream"], {})
        sid = s["sesid"]
        wire = sid.to_bytes(8, "little").hex()
        sk = hexkey(s.get("aprep_subkey", ""))
        smbkey = sk[:32]
        if smbkey and s["status"] in ("0x00000000", "0") and sid not in keys:
            keys[sid] = (wire, smbkey)
        print(f"- session setup frames {req.get('frame')}/{s['frame']} tcp.stream {s['stream']}"
              f"{' BINDING' if req.get('binding') else ''}: SessionId 0x{sid:016x}"
              f" (wire {wire}), status {s['status']}")
        print(f"    AP-REQ: {'/'.join(req.get('cname', [])) or '?'}@{req.get('crealm', '?')} ->"
              f" {'/'.join(req.get('sname', []))}@{req.get('srealm', '?')}, ticket etype"
              f" {etype(req.get('ticket_etype'))} kvno {req.get('kvno', '-')};"
              f" messages in blob: {'+'.join(req.get('msgs', []))}")
        print(f"    ticket session key   ({etype(req.get('ticket_keytype'))}):"
              f" {hexkey(req.get('ticket_key', '-'))}")
        print(f"    authenticator subkey ({etype(req.get('auth_subkeytype'))}):"
              f" {hexkey(req.get('auth_subkey', '-'))}")
        print(f"    AP-REP subkey        ({etype(s.get('aprep_subkeytype'))}): {sk or '-'}")
        print(f"    SMB session key (first 16 bytes): {smbkey or '-'}")
    st, neg = signature_view(path, list(keys.values()))
    print("tshark with " + (", ".join(f"{w}:{k}" for w, k in keys.values()) or "no key") + ":")
    print(f"    frames {st['frames']}, connections {st['connections']}, smb2 headers {st['smb2']},"
          f" signed {st['signed']}, good {st['good']}, bad {st['bad']},"
          f" transform {st['transform']}, decrypted {st['decrypted']};"
          f" negotiate: {', '.join(f'{k} {v}' for k, v in neg.items())}")
    print()


def main(argv):
    keytab = os.path.join(ROOT, "samples", "krb.keytab")
    if argv[:1] == ["--keytab"]:
        keytab, argv = argv[1], argv[2:]
    if not argv:
        print(__doc__, file=sys.stderr)
        return 2
    for p in argv:
        report(p, keytab)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
