#!/usr/bin/env python3
"""Compressed variants of real samples, made with compressors independent of smbcheck.

Samba 4.17 does not implement SMB2 compression, so no real capture with compressed
messages can come from it. This script takes the SMB2 messages of a real sample and sends
them again compressed, as MS-SMB2 3.1.4.4 describes, with third-party compressors:

  lz77         Samba's own lzxpress_compress (libndr-samba-samba4.so, Samba 4.17), plain LZ77
  lz77huffman  the encoder of the crates.io `compcol` crate (xpress-huffman/ beside this
               script, built with cargo on first use)
  lznt1        the `lznt1` package from PyPI
  lz4          the `lz4` package from PyPI (the LZ4 reference library), block format

Every compressed payload is checked before it is written: Fox-IT's `dissect.util`
decompressors (an implementation independent of both the compressors and smbcheck) must
give the original bytes back. The MS-XCA section 3 examples that smbcheck's own tests
use are checked with `dissect.util` too.

An encrypted sample is decrypted, its messages compressed, and sealed again with the same
keys (compressed before encrypted, MS-SMB2 3.1.4.4). The keys are those
`smbcheck --export-keys` derives from the password (target/debug/smbcheck must be built);
tests/export_keys.rs shows tshark decrypts the samples with exactly these keys.

Messages are compressed in turn in three shapes: unchained with Offset 0; unchained with
the 64-byte SMB2 header left uncompressed (Offset 64); chained, the SMB2 header as a
NONE payload, the rest compressed, and a trailing run of one byte (32 or more) as
Pattern_V1. NEGOTIATE and SESSION_SETUP stay uncompressed (compression is in use only
after them). The messages keep their order across connections; each travels in its own
TCP segments with the original addresses, ports and times, after a synthetic handshake.

    python3 -m venv /tmp/v && /tmp/v/bin/pip install dissect.util lz4 lznt1
    /tmp/v/bin/python tests/data/compressed/make-compressed.py   # rewrites the .pcap here
"""

import ctypes
import os
import struct
import subprocess
import sys
from pathlib import Path

import lz4.block
import lznt1
from Cryptodome.Cipher import AES
from dissect.util.compression import lz4 as d_lz4
from dissect.util.compression import lznt1 as d_lznt1
from dissect.util.compression import lzxpress as d_lz77
from dissect.util.compression import lzxpress_huffman as d_huffman

HERE = Path(__file__).resolve().parent
SAMPLES = HERE.parents[2] / "samples"
SAMBA_LIB = "/usr/lib/x86_64-linux-gnu/samba/libndr-samba-samba4.so.0"

# (sample, algorithm): the variants written here.
VARIANTS = [
    ("smb311", "lz77"),
    ("smb311", "lznt1"),
    ("smb311", "lz4"),
    ("smb311", "lz77huffman"),
    ("smb2-compound-break", "lz77"),
    ("smb2-session-bind1", "lz4"),
    ("smb311-enc-aes128gcm", "lz77"),
]

ALGORITHM_ID = {"lznt1": 1, "lz77": 2, "lz77huffman": 3, "lz4": 5}
PATTERN_V1 = 4


def samba_lz77():
    lib = ctypes.CDLL(SAMBA_LIB)
    f = lib.lzxpress_compress
    f.restype = ctypes.c_ssize_t
    f.argtypes = [ctypes.c_char_p, ctypes.c_uint32, ctypes.c_char_p, ctypes.c_uint32]

    def compress(data):
        out = ctypes.create_string_buffer(len(data) * 9 // 8 + 64)
        n = f(data, len(data), out, len(out))
        if n < 0:
            sys.exit("lzxpress_compress failed")
        return out.raw[:n]

    return compress


def compcol_huffman():
    target = os.environ.get("CARGO_TARGET_DIR", "/tmp/xpress-huffman-target")
    manifest = HERE / "xpress-huffman" / "Cargo.toml"
    subprocess.run(
        ["cargo", "build", "--release", "-q", "--manifest-path", str(manifest)],
        check=True,
        env={**os.environ, "CARGO_TARGET_DIR": target},
    )
    tool = Path(target) / "release" / "xpress-huffman-compress"

    def compress(data):
        return subprocess.run([tool], input=data, stdout=subprocess.PIPE, check=True).stdout

    return compress


COMPRESS = {
    "lz77": samba_lz77(),
    "lz77huffman": compcol_huffman(),
    "lznt1": lznt1.compress,
    "lz4": lambda data: lz4.block.compress(data, store_size=False),
}

DECOMPRESS = {
    "lz77": lambda data, size: d_lz77.decompress(data),
    "lznt1": lambda data, size: d_lznt1.decompress(data),
    # dissect.util decodes on to the end of the input (the EOF symbol and padding too).
    "lz77huffman": lambda data, size: d_huffman.decompress(data)[:size],
    "lz4": lambda data, size: d_lz4.decompress(data, size),
}


def check_published_examples():
    """The MS-XCA section 3 examples, as transcribed in dissectors/tests/compression.rs."""
    alphabet = b"abcdefghijklmnopqrstuvwxyz"
    lz77 = bytes.fromhex("3f000000") + alphabet
    assert d_lz77.decompress(lz77) == alphabet
    assert d_lz77.decompress(bytes.fromhex("ffffff1f61626317000fff2601")) == b"abc" * 100
    table = bytearray(256)
    table[48] = 0x50
    table[49:59] = b"\x55" * 10
    table[59:62] = b"\x45\x44\x04"
    table[128] = 0x04
    stream = bytes.fromhex("d8523ed794115be9195ff9d67cdf8d0400000000")
    assert d_huffman.decompress(bytes(table) + stream)[:26] == alphabet
    table = bytearray(256)
    table[48], table[49], table[128], table[143] = 0x30, 0x23, 0x02, 0x20
    stream = bytes.fromhex("a8dc0000ff2601")
    assert d_huffman.decompress(bytes(table) + stream)[:300] == b"abc" * 100
    lznt1_example = bytes.fromhex(
        "38b08846232000204720410010a24701a04520440008450150790"
        "0c045200524138805b4024a44ef0358028c09160148450"
        "0be009e000401189000"
    )
    text = (
        b"F# F# G A A G F# E D D E F# F# E E F# F# G A A G F# E D D E F# E D D E E F# "
        b"D E F# G F# D E F# G F# E D E A F# F# G A A G F# E D D E F# E D D\0"
    )
    assert d_lznt1.decompress(lznt1_example) == text


def compressed_payload(alg, data):
    packed = COMPRESS[alg](data)
    back = DECOMPRESS[alg](packed, len(data))
    if bytes(back) != data:
        sys.exit(f"{alg}: dissect.util does not give the message back")
    return packed


def compress_message(alg, msg, shape):
    """A COMPRESSION_TRANSFORM_HEADER (MS-SMB2 2.2.42) carrying `msg`."""
    alg_id = ALGORITHM_ID[alg]
    if shape == 0 or (shape == 1 and len(msg) <= 64):
        body = compressed_payload(alg, msg)
        return b"\xfcSMB" + struct.pack("<IHHI", len(msg), alg_id, 0, 0) + body
    if shape == 1:
        body = compressed_payload(alg, msg[64:])
        return b"\xfcSMB" + struct.pack("<IHHI", len(msg) - 64, alg_id, 0, 64) + msg[:64] + body
    # Chained (2.2.42.2): NONE for the header, the algorithm for the middle, Pattern_V1
    # for a trailing run.
    run = 1
    while run < len(msg) - 64 and msg[-run - 1] == msg[-1]:
        run += 1
    if run < 32:
        run = 0
    middle = msg[64 : len(msg) - run]
    payloads = [struct.pack("<HHI", 0, 1, 64) + msg[:64]]
    if middle:
        packed = compressed_payload(alg, middle)
        payloads.append(struct.pack("<HHII", alg_id, 0, len(packed) + 4, len(middle)) + packed)
    if run:
        pattern = struct.pack("<BBHI", msg[-1], 0, 0, run)
        payloads.append(struct.pack("<HHI", PATTERN_V1, 0, len(pattern)) + pattern)
    return b"\xfcSMB" + struct.pack("<I", len(msg)) + b"".join(payloads)


def exported_keys(sample):
    """{session id: (client-to-server key, server-to-client key)} from smbcheck --export-keys."""
    binary = HERE.parents[2] / "target" / "debug" / "smbcheck"
    if not binary.exists():
        sys.exit(f"{binary} is missing: run cargo build first")
    out = HERE / "keys.tmp"
    subprocess.run(
        [binary, "--format", "json", "--export-keys", out, SAMPLES / f"{sample}.pcap"],
        check=True,
        stdout=subprocess.DEVNULL,
        env={**os.environ, "SMBCHECK_PASSWORD": "Secr3t!pass"},
    )
    keys = {}
    for line in out.read_text().splitlines():
        f = line.split()
        if f and f[0] == "session":
            field = dict(zip(f[2::2], f[3::2]))
            keys[int(f[1], 16)] = (
                bytes.fromhex(field["encryption_key_c2s"]),
                bytes.fromhex(field["decryption_key_s2c"]),
            )
    out.unlink()
    return keys


def reseal(transform, to_server, keys, alg, shape):
    """An AES-128-GCM TRANSFORM_HEADER (MS-SMB2 2.2.41) whose message is compressed, sealed
    again under the same key and nonce. None when its message stays as it is."""
    tag, nonce, _size, _reserved, flags, session = struct.unpack("<16s16sIHHQ", transform[4:52])
    key = keys[session][0 if to_server else 1]
    cipher = AES.new(key, AES.MODE_GCM, nonce=nonce[:12])
    cipher.update(transform[20:52])
    plain = cipher.decrypt_and_verify(transform[52:], tag)
    if not plain.startswith(b"\xfeSMB"):
        return None
    inner = compress_message(alg, plain, shape)
    header = struct.pack("<16sIHHQ", nonce, len(inner), 0, flags, session)
    cipher = AES.new(key, AES.MODE_GCM, nonce=nonce[:12])
    cipher.update(header)
    sealed, tag = cipher.encrypt_and_digest(inner)
    return b"\xfdSMB" + tag + header + sealed


def read_pcap(path):
    data = path.read_bytes()
    magic = struct.unpack("<I", data[:4])[0]
    if magic != 0xA1B2C3D4:
        sys.exit(f"{path}: not a little-endian microsecond pcap")
    linktype = struct.unpack("<I", data[20:24])[0]
    if linktype != 1:
        sys.exit(f"{path}: not Ethernet")
    at = 24
    while at < len(data):
        sec, usec, incl, _orig = struct.unpack("<IIII", data[at : at + 16])
        yield sec, usec, data[at + 16 : at + 16 + incl]
        at += 16 + incl


def tcp_of(frame):
    if struct.unpack(">H", frame[12:14])[0] != 0x0800:
        return None
    ip = frame[14:]
    ihl = (ip[0] & 15) * 4
    total = struct.unpack(">H", ip[2:4])[0]
    if ip[9] != 6:
        return None
    tcp = ip[ihl:total]
    sport, dport, seq, ack, off_flags = struct.unpack(">HHIIH", tcp[:14])
    return {
        "src": ip[12:16],
        "dst": ip[16:20],
        "sport": sport,
        "dport": dport,
        "seq": seq,
        "flags": off_flags & 0x3F,
        "payload": tcp[(off_flags >> 12) * 4 :],
        "macs": frame[:12],
    }


def pdus(path):
    """(time, direction key, macs, NBSS message) in the order the messages completed."""
    streams = {}
    for sec, usec, frame in read_pcap(path):
        t = tcp_of(frame)
        if t is None:
            continue
        key = (t["src"], t["sport"], t["dst"], t["dport"])
        s = streams.setdefault(key, {"next": None, "buf": b""})
        if t["flags"] & 0x02:  # SYN
            s["next"] = (t["seq"] + 1) & 0xFFFFFFFF
            continue
        if not t["payload"]:
            continue
        if s["next"] is None:
            s["next"] = t["seq"]
        skip = (s["next"] - t["seq"]) & 0xFFFFFFFF
        if skip >= 0x80000000:
            sys.exit(f"{path}: bytes missing before a segment")
        s["buf"] += t["payload"][skip:]
        s["next"] = (s["next"] + max(0, len(t["payload"]) - skip)) & 0xFFFFFFFF
        while len(s["buf"]) >= 4:
            length = ((s["buf"][1] & 1) << 16) | struct.unpack(">H", s["buf"][2:4])[0]
            if len(s["buf"]) < 4 + length:
                break
            yield sec, usec, key, t["macs"], s["buf"][: 4 + length]
            s["buf"] = s["buf"][4 + length :]


def checksum(data):
    if len(data) % 2:
        data += b"\0"
    total = sum(struct.unpack(f">{len(data) // 2}H", data))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


def frame(macs, src, dst, sport, dport, seq, ack, flags, payload):
    tcp = struct.pack(">HHIIHHHH", sport, dport, seq, ack, (5 << 12) | flags, 65535, 0, 0)
    pseudo = src + dst + struct.pack(">BBH", 0, 6, len(tcp) + len(payload))
    tcp = tcp[:16] + struct.pack(">H", checksum(pseudo + tcp + payload)) + tcp[18:]
    ip = struct.pack(">BBHHHBBH4s4s", 0x45, 0, 20 + len(tcp) + len(payload), 0, 0x4000, 64, 6, 0, src, dst)
    ip = ip[:10] + struct.pack(">H", checksum(ip)) + ip[12:]
    return macs + b"\x08\x00" + ip + tcp + payload


def write_variant(sample, alg):
    out = [struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 262144, 1)]

    def record(sec, usec, data):
        out.append(struct.pack("<IIII", sec, usec, len(data), len(data)) + data)

    seqs = {}
    count = 0
    compressed = 0
    keys = exported_keys(sample) if "-enc-" in sample else {}
    for sec, usec, key, macs, nbss in pdus(SAMPLES / f"{sample}.pcap"):
        src, sport, dst, dport = key
        back = (dst, dport, src, sport)
        if key not in seqs and back not in seqs:
            # A handshake for the new connection, client first.
            seqs[key], seqs[back] = 1000, 5000
            record(sec, usec, frame(macs, src, dst, sport, dport, 999, 0, 0x02, b""))
            rmacs = macs[6:12] + macs[:6]
            record(sec, usec, frame(rmacs, dst, src, dport, sport, 4999, 1000, 0x12, b""))
            record(sec, usec, frame(macs, src, dst, sport, dport, 1000, 5000, 0x10, b""))
        msg = nbss[4:]
        if msg[:4] == b"\xfeSMB" and struct.unpack("<H", msg[12:14])[0] not in (0, 1):
            msg = compress_message(alg, msg, count % 3)
            compressed += 1
            count += 1
            nbss = struct.pack(">I", len(msg)) + msg
        elif msg[:4] == b"\xfdSMB" and keys:
            sealed = reseal(msg, dport == 445, keys, alg, count % 3)
            if sealed is not None:
                compressed += 1
                count += 1
                nbss = struct.pack(">I", len(sealed)) + sealed
        for at in range(0, len(nbss), 32768):
            piece = nbss[at : at + 32768]
            record(sec, usec, frame(macs, src, dst, sport, dport, seqs[key], seqs[back], 0x18, piece))
            seqs[key] = (seqs[key] + len(piece)) & 0xFFFFFFFF
    path = HERE / f"{sample}-{alg}.pcap"
    path.write_bytes(b"".join(out))
    print(f"{path.name}: {compressed} messages compressed with {alg}")


def main():
    check_published_examples()
    for sample, alg in VARIANTS:
        write_variant(sample, alg)


if __name__ == "__main__":
    main()
