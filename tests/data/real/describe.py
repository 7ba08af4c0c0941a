#!/usr/bin/env python3
"""Print what tshark sees in a capture, as Markdown, for writing/checking a sidecar.

    python3 tests/data/real/describe.py FILE.pcap [--ftp-port N ...]

Everything printed comes from tshark (Wireshark 4.0 here): the FTP commands and replies
(tshark -Y ftp -T fields ...), every TCP connection (who sent the first SYN, ports, SYN
times relative to that connection's first SYN, whether it was answered), the RST and ICMP
packets with their IP source, TTL and ID.
"""
import subprocess
import sys


def tshark(path, args, decode):
    cmd = ["tshark", "-r", path, "-n"]
    for port in decode:
        cmd += ["-d", f"tcp.port=={port},ftp"]
    return subprocess.run(cmd + args, check=True, capture_output=True, text=True).stdout


def fields(path, filt, names, decode):
    args = ["-T", "fields", "-E", "separator=\t", "-E", "occurrence=a", "-E", "aggregator=,"]
    if filt:
        args += ["-Y", filt]
    for n in names:
        args += ["-e", n]
    rows = []
    for line in tshark(path, args, decode).splitlines():
        cols = line.split("\t")
        cols += [""] * (len(names) - len(cols))
        rows.append(dict(zip(names, cols)))
    return rows


def escape(raw):
    """Bytes as Markdown-safe text: printable ASCII as is, the rest as \\xNN, CRLF as \\r\\n, | as \\|."""
    esc = "".join("\\|" if b == 0x7c else chr(b) if 32 <= b < 127 and b not in (0x5c, 0x60)
                  else f"\\x{b:02x}" for b in raw)
    return esc.replace("\\x0d\\x0a", "\\r\\n")


def main():
    argv = sys.argv[1:]
    decode = []
    while "--ftp-port" in argv:
        i = argv.index("--ftp-port")
        decode.append(argv[i + 1])
        del argv[i : i + 2]
    path = argv[0]

    info = subprocess.run(["capinfos", "-t", "-c", "-l", "-u", "-E", path],
                          capture_output=True, text=True).stdout
    print("### capinfos\n")
    for line in info.splitlines()[1:]:
        print("    " + line.strip())
    print()

    ftp = fields(path, "ftp", ["frame.number", "frame.time_relative", "ip.src", "tcp.srcport",
                                "ftp.request.command", "ftp.request.arg",
                                "ftp.response.code", "ftp.response.arg", "tcp.payload"], decode)
    if ftp:
        print("### FTP commands and replies (tshark -Y ftp)\n")
        print("| frame | time (s) | from | command / reply (tshark fields) | captured TCP payload (escaped) |")
        print("|---|---|---|---|---|")
        for r in ftp:
            if r["ftp.request.command"]:
                what = f"`{escape(r['ftp.request.command'].encode())} {escape(r['ftp.request.arg'].encode())}`".replace(" `", "`")
            elif r["ftp.response.code"]:
                what = f"`{r['ftp.response.code']} {escape(r['ftp.response.arg'].encode())}`"
            else:
                what = "(no command/reply field: continuation or partial line)"
            t = float(r["frame.time_relative"])
            esc = escape(bytes.fromhex(r["tcp.payload"].replace(":", "")))
            print(f"| {r['frame.number']} | {t:.6f} | {r['ip.src']}:{r['tcp.srcport']} | {what} | `{esc}` |")
        print()
    else:
        print("### FTP: tshark decodes no FTP in this capture\n")

    pk = fields(path, "tcp && !icmp", ["frame.number", "frame.time_relative", "tcp.stream", "ip.src",
                               "ip.dst", "tcp.srcport", "tcp.dstport", "tcp.flags.syn",
                               "tcp.flags.ack", "tcp.flags.reset", "tcp.flags.fin", "tcp.len",
                               "ip.ttl", "ip.id", "ftp-data.setup-frame",
                               "ftp-data.setup-method", "_ws.col.Protocol"], decode)
    streams = {}
    for r in pk:
        streams.setdefault(int(r["tcp.stream"]), []).append(r)
    print("### TCP connections\n")
    print("| stream | initiator → responder | SYNs (frames) | SYN times from first SYN (s) | SYN/ACK | RST | bytes → / ← | protocol | ftp-data setup |")
    print("|---|---|---|---|---|---|---|---|---|")
    for sid, rows in sorted(streams.items()):
        syns = [r for r in rows if r["tcp.flags.syn"] == "1" and r["tcp.flags.ack"] == "0"]
        first = syns[0] if syns else rows[0]
        a = (first["ip.src"], first["tcp.srcport"])
        b = (first["ip.dst"], first["tcp.dstport"])
        t0 = float(syns[0]["frame.time_relative"]) if syns else None
        times = ", ".join(f"{float(r['frame.time_relative']) - t0:.3f}" for r in syns) if syns else "-"
        synack = [r for r in rows if r["tcp.flags.syn"] == "1" and r["tcp.flags.ack"] == "1"]
        rst = [r for r in rows if r["tcp.flags.reset"] == "1"]
        fwd = sum(int(r["tcp.len"] or 0) for r in rows if (r["ip.src"], r["tcp.srcport"]) == a)
        rev = sum(int(r["tcp.len"] or 0) for r in rows if (r["ip.src"], r["tcp.srcport"]) != a)
        protos = sorted({r["_ws.col.Protocol"] for r in rows if int(r["tcp.len"] or 0) > 0})
        setup = sorted({(r["ftp-data.setup-frame"], r["ftp-data.setup-method"]) for r in rows
                        if r["ftp-data.setup-frame"]})
        setup_s = "; ".join(f"frame {f} ({m})" for f, m in setup) or "-"
        print(f"| {sid} | {a[0]}:{a[1]} → {b[0]}:{b[1]} | {len(syns)} "
              f"({','.join(r['frame.number'] for r in syns) or '-'}) | {times} | "
              f"{'frame ' + synack[0]['frame.number'] if synack else 'none'} | "
              f"{len(rst)} | {fwd} / {rev} | {','.join(protos) or '-'} | {setup_s} |")
    print()

    ttl = {}
    for r in pk:
        ttl.setdefault((r["ip.src"], r["ip.ttl"]), []).append(r)
    print("### IP TTL and IP ID of TCP packets, by source\n")
    for (src, t), rows in sorted(ttl.items()):
        ids = [r["ip.id"] for r in rows]
        print(f"- {src} TTL {t}: {len(rows)} packets, IP IDs {ids[0]} … {ids[-1]}"
              f" (frames {rows[0]['frame.number']} … {rows[-1]['frame.number']})")
    print()

    rsts = [r for r in pk if r["tcp.flags.reset"] == "1"]
    if rsts:
        print("### RST packets\n")
        for r in rsts:
            print(f"- frame {r['frame.number']} t={float(r['frame.time_relative']):.6f} "
                  f"{r['ip.src']}:{r['tcp.srcport']} → {r['ip.dst']}:{r['tcp.dstport']} "
                  f"TTL {r['ip.ttl']} IP ID {r['ip.id']} (stream {r['tcp.stream']})")
        print()
    icmp = fields(path, "icmp", ["frame.number", "frame.time_relative", "ip.src", "ip.dst",
                                  "ip.ttl", "ip.id", "icmp.type", "icmp.code", "tcp.srcport",
                                  "tcp.dstport", "_ws.col.Info"], decode)
    print(f"### ICMP packets: {len(icmp)}\n")
    for r in icmp:
        src = r["ip.src"].split(",")
        dst = r["ip.dst"].split(",")
        ttls = r["ip.ttl"].split(",")
        print(f"- frame {r['frame.number']} t={float(r['frame.time_relative']):.6f} "
              f"{src[0]} → {dst[0]} TTL {ttls[0]} IP ID {r['ip.id'].split(',')[0]} "
              f"type {r['icmp.type']} code {r['icmp.code']}; quoted packet "
              f"{src[-1]}:{r['tcp.srcport']} → {dst[-1]}:{r['tcp.dstport']}; {r['_ws.col.Info']}")
    print()


if __name__ == "__main__":
    main()
