#!/usr/bin/env python3
"""Independent cross-check of the Kerberos samples (not smbcheck, not tshark's SMB2 code).

Usage:
  scripts/krb-verify.py KEYTAB CAPTURE...      e.g. samples/krb.keytab samples/krb-*.pcap

Takes the AP-REP subkey of every successful SESSION_SETUP from tshark (decrypted with KEYTAB,
via scripts/krb-keys.py), uses its first 16 bytes as the SMB session key (AES-256 ciphers: the
full 32-byte subkey), derives the keys of MS-SMB2 3.1.4.2 (3.1.1 with the preauth integrity
hash of the connection's NEGOTIATE and the SESSION_SETUP request), and checks every signed
SMB2 message (HMAC-SHA256, AES-128-CMAC, AES-128-GMAC) against the keys of its SessionId, and
decrypts every transform message (AES-128/256-CCM/GCM). A binding adds the channel's key to
its SessionId ("key#1"). Prints per capture how many messages each key verified ("unsigned":
SMB2 messages other than NEGOTIATE without the SIGNED flag); anything
that no key verifies is counted as INVALID / FAILED.
Limits: one message per NBSS frame (no compounds), TCP segments in order without loss.

Needs python3 with the `cryptography` package and tshark.
"""
import hashlib, hmac, os, struct, subprocess, sys, importlib.util
from collections import Counter, defaultdict
from cryptography.hazmat.primitives.ciphers.aead import AESGCM, AESCCM
from cryptography.hazmat.primitives.cmac import CMAC
from cryptography.hazmat.primitives.ciphers import algorithms

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
spec = importlib.util.spec_from_file_location("kk", os.path.join(ROOT, "scripts", "krb-keys.py"))
kk = importlib.util.module_from_spec(spec); spec.loader.exec_module(kk)


def kdf(key, label, context, bits):
    out = b""
    i = 1
    while len(out) * 8 < bits:
        out += hmac.new(key, struct.pack(">I", i) + label + b"\0" + context + struct.pack(">I", bits),
                        hashlib.sha256).digest()
        i += 1
    return out[:bits // 8]


def cmac(key, data):
    c = CMAC(algorithms.AES(key)); c.update(data); return c.finalize()


def streams(path):
    out = subprocess.run(["tshark", "-r", path, "-Y", "tcp.port == 445 && tcp.len > 0", "-T", "fields",
                          "-e", "frame.number", "-e", "tcp.stream", "-e", "tcp.srcport", "-e", "tcp.payload"],
                         capture_output=True, text=True, check=True).stdout
    data = defaultdict(bytearray); ends = defaultdict(list)
    for line in out.splitlines():
        fr, st, sp, pl = line.split("\t")
        k = (int(st), sp == "445")
        data[k] += bytes.fromhex(pl)
        ends[k].append((len(data[k]), int(fr)))
    msgs = []  # (frame, stream, from_server, bytes)
    for k, buf in data.items():
        pos = 0
        while pos + 4 <= len(buf):
            n = int.from_bytes(buf[pos + 1:pos + 4], "big")
            end = pos + 4 + n
            fr = next(f for e, f in ends[k] if e >= end)
            msgs.append((fr, k[0], k[1], bytes(buf[pos + 4:end])))
            pos = end
    msgs.sort(key=lambda m: m[0])
    return msgs


def main(path, keytab):
    _, setups = kk.kerberos_view(path, keytab)
    subkey_by_frame = {s["frame"]: bytes.fromhex(kk.hexkey(s["aprep_subkey"]))
                       for s in setups if s["response"] and s.get("aprep_subkey")}
    conn = {}          # stream -> dict(dialect, sign_id, cipher_id, H, pending)
    sessions = defaultdict(lambda: {"sign": [], "enc": [], "dec": []})  # sesid -> keys
    res = Counter()
    for fr, st, srv, m in streams(path):
        c = conn.setdefault(st, {"dialect": None, "sign_id": None, "cipher": None,
                                 "H": b"\0" * 64, "pending": None})
        if m[:4] == b"\xfdSMB":
            sid = struct.unpack_from("<Q", m, 44)[0]
            aad, nonce, tag, ct = m[20:52], m[20:36], m[4:20], m[52:]
            ok = False
            for k in sessions[sid]["dec" if srv else "enc"]:
                n = nonce[:12] if c["cipher"] in (2, 4) else nonce[:11]
                a = AESGCM(k) if c["cipher"] in (2, 4) else AESCCM(k)
                try:
                    a.decrypt(n, ct + tag, aad); ok = True; break
                except Exception:
                    pass
            res["transform decrypted" if ok else "transform FAILED"] += 1
            continue
        if m[:4] != b"\xfeSMB":
            res["other"] += 1; continue
        cmd, = struct.unpack_from("<H", m, 12)
        status, = struct.unpack_from("<I", m, 8)
        flags, = struct.unpack_from("<I", m, 16)
        msgid, = struct.unpack_from("<Q", m, 24)
        sid, = struct.unpack_from("<Q", m, 40)
        resp = bool(flags & 1)
        if cmd == 0:
            if resp:
                c["dialect"], = struct.unpack_from("<H", m, 64 + 4)
                if c["dialect"] == 0x311:
                    cnt, off = struct.unpack_from("<HI", m, 64 + 6)[0], struct.unpack_from("<I", m, 64 + 60)[0]
                    p = off
                    for _ in range(cnt):
                        p = (p + 7) & ~7
                        t, ln = struct.unpack_from("<HH", m, p)
                        body = m[p + 8:p + 8 + ln]
                        if t == 2: c["cipher"] = struct.unpack_from("<H", body, 2)[0]
                        if t == 8: c["sign_id"] = struct.unpack_from("<H", body, 2)[0]
                        p += 8 + ln
            if c["dialect"] is None or c["dialect"] == 0x311 or not resp:
                c["H"] = hashlib.sha512(c["H"] + m).digest()
            continue
        if cmd == 1:
            if not resp:
                c["pending"] = hashlib.sha512(c["H"] + m).digest()
            elif status == 0 and fr in subkey_by_frame:
                full = subkey_by_frame[fr]; s16 = full[:16]
                d = c["dialect"]
                if d >= 0x300:
                    if d == 0x311:
                        H = c["pending"]
                        sk = kdf(s16, b"SMBSigningKey\0", H, 128)
                        bits = 256 if c["cipher"] in (3, 4) else 128
                        kb = full if bits == 256 else s16
                        ek = kdf(kb, b"SMBC2SCipherKey\0", H, bits)
                        dk = kdf(kb, b"SMBS2CCipherKey\0", H, bits)
                    else:
                        sk = kdf(s16, b"SMB2AESCMAC\0", b"SmbSign\0", 128)
                        ek = kdf(s16, b"SMB2AESCCM\0", b"ServerIn \0", 128)
                        dk = kdf(s16, b"SMB2AESCCM\0", b"ServerOut\0", 128)
                else:
                    sk, ek, dk = s16, None, None
                S = sessions[sid]
                S["sign"].append(sk)
                if ek: S["enc"].append(ek); S["dec"].append(dk)
            elif status == 0xC0000016:
                c["pending"] = hashlib.sha512(c["pending"] + m).digest()
        if not flags & 8:
            res["unsigned"] += 1; continue
        zeroed = m[:48] + b"\0" * 16 + m[64:]
        alg = ("hmac" if c["dialect"] < 0x300 else
               "cmac" if c["dialect"] < 0x311 or c["sign_id"] in (None, 1) else
               "gmac" if c["sign_id"] == 2 else "hmac")
        verdict = None
        for i, k in enumerate(sessions[sid]["sign"]):
            if alg == "hmac": mac = hmac.new(k, zeroed, hashlib.sha256).digest()[:16]
            elif alg == "cmac": mac = cmac(k, zeroed)
            else:
                nonce = struct.pack("<QI", msgid, (1 if resp else 0) | (2 if cmd == 0x0C else 0))
                mac = AESGCM(k).encrypt(nonce, b"", zeroed)
            if mac == m[48:64]:
                verdict = f"{alg} valid with key#{i}"; break
        res[verdict or f"{alg} INVALID (frame {fr})"] += 1
    print(path, dict(res))


if __name__ == "__main__":
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    for p in sys.argv[2:]:
        main(p, sys.argv[1])
