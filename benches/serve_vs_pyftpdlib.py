#!/usr/bin/env python3
"""Compare `ftp-lab serve` with pyftpdlib on loopback, in one run.

For each direction (RETR, STOR) of a 200 MB file: start a fresh server of each kind, transfer
the file five times with each, alternating, with Python's ftplib in passive mode (1 MiB
blocks), and report the median throughput, each server's peak RSS (VmHWM), and the ratio
ftp-lab / pyftpdlib.

    cargo build --release
    python3 benches/serve_vs_pyftpdlib.py [--size-mb 200] [--runs 5]
"""
import argparse
import ftplib
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
BIN = os.path.join(HERE, "..", "target", "release", "ftp-lab")

PYFTPDLIB = r"""
import sys
from pyftpdlib.authorizers import DummyAuthorizer
from pyftpdlib.handlers import FTPHandler
from pyftpdlib.servers import FTPServer
a = DummyAuthorizer(); a.add_anonymous(sys.argv[2], perm="elradfmw")
h = FTPHandler; h.authorizer = a; h.passive_ports = range(int(sys.argv[3]), int(sys.argv[3]) + 10)
import logging; logging.basicConfig(level=logging.ERROR)
FTPServer(("127.0.0.1", int(sys.argv[1])), h).serve_forever()
"""


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


def wait_for(port):
    for _ in range(200):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.05)
    raise SystemExit(f"server on {port} did not start")


def start(kind, root, port, pasv):
    if kind == "ftp-lab":
        cmd = [BIN, "serve", "--root", root, "--listen", f"127.0.0.1:{port}",
               "--pasv-range", f"{pasv}-{pasv + 9}", "--anon-upload"]
    else:
        cmd = [sys.executable, "-c", PYFTPDLIB, str(port), root, str(pasv)]
    p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wait_for(port)
    return p


def peak_rss_kb(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return 0


def transfer(port, direction, local, size):
    f = ftplib.FTP()
    f.connect("127.0.0.1", port, timeout=60)
    f.login()
    f.set_pasv(True)
    start = time.perf_counter()
    if direction == "RETR":
        got = [0]

        def sink(b):
            got[0] += len(b)
        f.retrbinary("RETR big.bin", sink, blocksize=1 << 20)
        assert got[0] == size, got[0]
    else:
        with open(local, "rb") as src:
            f.storbinary("STOR up.bin", src, blocksize=1 << 20)
    secs = time.perf_counter() - start
    f.quit()
    return size / secs / 1e6


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--size-mb", type=int, default=200)
    ap.add_argument("--runs", type=int, default=5)
    args = ap.parse_args()
    if not os.path.exists(BIN):
        raise SystemExit(f"{BIN} is missing: run cargo build --release first")
    size = args.size_mb * 1024 * 1024
    work = tempfile.mkdtemp(prefix="ftp-lab-bench-")
    try:
        local = os.path.join(work, "local.bin")
        with open(local, "wb") as f:
            block = os.urandom(1 << 20)
            for _ in range(args.size_mb):
                f.write(block)
        results = {}
        for direction in ("RETR", "STOR"):
            servers = {}
            for k, kind in enumerate(("ftp-lab", "pyftpdlib")):
                root = os.path.join(work, f"{kind}-{direction}")
                os.makedirs(root)
                shutil.copy(local, os.path.join(root, "big.bin"))
                port = free_port()
                servers[kind] = (start(kind, root, port, 30000 + 100 * k), port, root)
            speeds = {kind: [] for kind in servers}
            try:
                # Alternate the two servers, so a busy moment of the machine hits both.
                for _ in range(args.runs):
                    for kind, (_, port, _) in servers.items():
                        speeds[kind].append(transfer(port, direction, local, size))
                for kind, (proc, _, root) in servers.items():
                    if direction == "STOR":
                        assert os.path.getsize(os.path.join(root, "up.bin")) == size
                    results[(kind, direction)] = (statistics.median(speeds[kind]), peak_rss_kb(proc.pid))
            finally:
                for proc, _, _ in servers.values():
                    proc.kill()
                    proc.wait()
        print(f"{args.size_mb} MB over loopback, median of {args.runs} runs, ftplib client in passive mode")
        print(f"{'server':<10} {'dir':<5} {'MB/s':>8} {'peak RSS':>10}")
        for (kind, direction), (mbs, rss) in results.items():
            print(f"{kind:<10} {direction:<5} {mbs:>8.0f} {rss / 1024:>8.1f} MB")
        for direction in ("RETR", "STOR"):
            ratio = results[("ftp-lab", direction)][0] / results[("pyftpdlib", direction)][0]
            print(f"{direction}: ftp-lab / pyftpdlib = {ratio:.2f}")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
