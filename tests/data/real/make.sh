#!/usr/bin/env bash
# Remake the real FTP captures in this folder (see README.md).
#
#   sudo bash tests/data/real/make.sh            # all cases
#   sudo bash tests/data/real/make.sh NAME...    # only these cases (see CASES below)
#
# Needs: root, ip (iproute2) with network namespaces, iptables, tcpdump, dumpcap,
# vsftpd, curl, python3 with pyftpdlib (ftplib/smtplib are in the standard library), ss.
# Each case builds a fresh topology of three network namespaces:
#
#   cli 198.51.100.7/24 --veth-- 198.51.100.1 rtr 203.0.113.1 --veth-- 203.0.113.10/24 srv
#
# (IPv6 off, fixed MAC addresses and static neighbour entries so there is no ARP, GSO
# limited to 1 segment so every captured frame is a real on-the-wire sized segment),
# starts the server in srv, captures in cli (client vantage) or srv (server vantage),
# runs the client in cli, and tears everything down.
# The captures are written to OUT (default: this folder). KEEP_WORK=1 keeps the working
# folder with the client and server logs (sudo KEEP_WORK=1 bash make.sh). The sidecar <name>.md files are NOT rewritten:
# they describe the committed captures (timings differ slightly from run to run).
set -uo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
OUT=${OUT:-$HERE}
CASES=(vsftpd-active-ok vsftpd-passive-ok vsftpd-epsv-ok vsftpd-active-drop
       vsftpd-active-reject-icmp vsftpd-active-reject-rst vsftpd-passive-drop
       pyftpdlib-active-drop ftplib-pyftpdlib-passive-ok snaplen
       vsftpd-multiline-banner split-greeting smtp-session hostile-replies
       vsftpd-active-ok-pcapng)

die() { echo "make.sh: $*" >&2; exit 1; }
log() { echo "== $*" >&2; }

[ "$(id -u)" = 0 ] || die "must run as root (network namespaces, iptables, port 21)"
for t in ip iptables tcpdump dumpcap vsftpd curl ss timeout setsid; do
    command -v "$t" >/dev/null || die "missing tool: $t"
done
PY=$(python3 -c 'import sys; print(sys.executable)' 2>/dev/null) || die "missing python3"
"$PY" -c 'import pyftpdlib' 2>/dev/null || die "python3 lacks pyftpdlib (pip install pyftpdlib)"

WORK=$(mktemp -d /tmp/ftplab-real.XXXXXX)
declare -A BG=()          # name -> pid (= process group id, started with setsid)

stop() {                  # stop NAME [SIGNAL]: signal the group, wait at most 5 s, then KILL
    local name=$1 sig=${2:-TERM} pid i
    pid=${BG[$name]:-}
    [ -n "$pid" ] || return 0
    kill -"$sig" -- "-$pid" 2>/dev/null
    for i in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL -- "-$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
    unset "BG[$name]"
}
ns_down() {
    local n
    for n in cli rtr srv; do ip netns del "$n" 2>/dev/null; done
    return 0
}
cleanup() {
    local n
    for n in "${!BG[@]}"; do stop "$n"; done
    ns_down
    if [ "${KEEP_WORK:-0}" = 1 ]; then echo "work folder kept: $WORK" >&2; else rm -rf "$WORK"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

bg() {                    # bg NAME NS CMD...: run CMD in namespace NS in its own process group
    local name=$1 ns=$2; shift 2
    setsid ip netns exec "$ns" "$@" >"$CD/$name.log" 2>&1 </dev/null &
    BG[$name]=$!
}
wait_for() {              # wait_for SECONDS CMD...: poll CMD every 0.1 s
    local secs=$1 i; shift
    for i in $(seq $((secs * 10))); do "$@" >/dev/null 2>&1 && return 0; sleep 0.1; done
    die "timed out after ${secs}s waiting for: $*"
}
listening() { ip netns exec "$1" ss -Hltn "sport = :$2" | grep -q .; }
in_log()    { grep -q "$2" "$CD/$1.log"; }

must() { "$@" || die "failed: $*"; }
ns_up() {
    ns_down
    local n
    for n in cli rtr srv; do
        must ip netns add "$n"
        must ip netns exec "$n" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
        must ip -n "$n" link set lo up
    done
    must ip -n cli link add name eth0 address 02:00:00:00:00:07 type veth \
        peer name to-cli address 02:00:00:00:00:01 netns rtr
    must ip -n srv link add name eth0 address 02:00:00:00:01:10 type veth \
        peer name to-srv address 02:00:00:00:01:01 netns rtr
    must ip -n cli addr add 198.51.100.7/24 dev eth0
    must ip -n rtr addr add 198.51.100.1/24 dev to-cli
    must ip -n rtr addr add 203.0.113.1/24 dev to-srv
    must ip -n srv addr add 203.0.113.10/24 dev eth0
    must ip -n cli link set eth0 gso_max_segs 1 up
    must ip -n srv link set eth0 gso_max_segs 1 up
    must ip -n rtr link set to-cli gso_max_segs 1 up
    must ip -n rtr link set to-srv gso_max_segs 1 up
    must ip -n cli route add default via 198.51.100.1
    must ip -n srv route add default via 203.0.113.1
    must ip netns exec rtr sysctl -qw net.ipv4.ip_forward=1
    # static neighbours: no ARP in the captures, they start with the first TCP segment
    must ip -n cli neigh replace 198.51.100.1 lladdr 02:00:00:00:00:01 dev eth0 nud permanent
    must ip -n rtr neigh replace 198.51.100.7 lladdr 02:00:00:00:00:07 dev to-cli nud permanent
    must ip -n rtr neigh replace 203.0.113.10 lladdr 02:00:00:00:01:10 dev to-srv nud permanent
    must ip -n srv neigh replace 203.0.113.1 lladdr 02:00:00:00:01:01 dev eth0 nud permanent
}
fw() { ip netns exec rtr iptables "$@"; }

cap_start() {             # cap_start NAME NS FILE [tcpdump args...]
    local name=$1 ns=$2 file=$3; shift 3
    bg "$name" "$ns" tcpdump -Z root -i eth0 -U -n "$@" -w "$CD/$file" not ip6
    wait_for 10 in_log "$name" "listening on"
}
dumpcap_start() {         # dumpcap_start NAME NS FILE
    bg "$1" "$2" dumpcap -i eth0 -f "not ip6" -w "$CD/$3"
    wait_for 10 in_log "$1" "Capturing on"
}
cap_stop() { sleep 1; stop "$1" INT; }
publish() { local f; for f in "$@"; do cp "$CD/$f" "$OUT/$f"; chmod 644 "$OUT/$f"; log "wrote $OUT/$f ($(stat -c %s "$OUT/$f") bytes)"; done; }
client() {                # client RC SECS CMD...: run in cli, bounded; warn unless it exits RC
    local want=$1 secs=$2; shift 2
    log "client: $*"
    local t0=$EPOCHREALTIME rc
    # in the background + wait, so that a signal runs the traps at once (cleanup stops it)
    setsid timeout "$secs" ip netns exec cli "$@" >>"$CD/client.log" 2>&1 </dev/null &
    BG[client]=$!
    wait "${BG[client]}"
    rc=$?
    unset "BG[client]"
    awk -v a="$t0" -v b="$EPOCHREALTIME" -v rc="$rc" \
        'BEGIN { printf "exit=%d elapsed=%.3fs\n", rc, b - a }' >>"$CD/client.log"
    log "client exit $rc"
    [ "$rc" = "$want" ] || log "WARNING: expected exit $want, got $rc: the capture may not show what its sidecar says"
}

# ---------------------------------------------------------------- content
mkroot() {                # mkroot DIR: readme.txt (2048 bytes), pub/notes.txt
    local d=$1
    mkdir -p "$d/pub"
    "$PY" - "$d/readme.txt" <<'EOF'
import sys
lines = [f"FTP Lab readme, line {i:02d}: the quick brown fox jumps over the lazy dog.\n" for i in range(1, 40)]
data = "".join(lines).encode()
data = (data * 2)[:2047] + b"\n"
open(sys.argv[1], "wb").write(data)
EOF
    printf 'notes: passive data ports 10001-10005\n' >"$d/pub/notes.txt"
    chmod 755 "$d" "$d/pub"; chmod 644 "$d/readme.txt" "$d/pub/notes.txt"
    touch -d '2024-01-02 03:04:05 UTC' "$d/readme.txt" "$d/pub/notes.txt" "$d/pub" "$d"
}
vsftpd_conf() {           # vsftpd_conf ROOT [extra lines...] > conf
    local root=$1; shift
    cat <<EOF
listen=YES
listen_ipv6=NO
background=NO
anonymous_enable=YES
local_enable=NO
write_enable=NO
no_anon_password=YES
anon_root=$root
ftp_username=ftp
secure_chroot_dir=$WORK/empty
connect_from_port_20=YES
pasv_enable=YES
pasv_min_port=10001
pasv_max_port=10005
seccomp_sandbox=NO
xferlog_enable=YES
xferlog_std_format=NO
log_ftp_protocol=YES
vsftpd_log_file=$CD/vsftpd-protocol.log
EOF
    local l; for l in "$@"; do echo "$l"; done
}
vsftpd_start() {          # vsftpd_start [extra conf lines...]
    vsftpd_conf "$WORK/root" "$@" >"$CD/vsftpd.conf"
    bg vsftpd srv vsftpd "$CD/vsftpd.conf"
    wait_for 10 listening srv 21
}
pyftpd_start() {          # pyftpd_start ARGS... (python3 -m pyftpdlib)
    bg pyftpd srv "$PY" -m pyftpdlib "$@"
    wait_for 10 listening srv 21
}
pyscript_start() {        # pyscript_start SCRIPT PORT ARGS...
    local s=$1 port=$2; shift 2
    bg pyscript srv "$PY" "$WORK/$s" "$@"
    wait_for 10 listening srv "$port"
}

write_scripts() {
    cat >"$WORK/split_greeting.py" <<'EOF'
# pyftpdlib server whose 220 greeting leaves in two TCP segments: "22", 100 ms, "0 Welcome\r\n"
import socket, sys, time
from pyftpdlib.authorizers import DummyAuthorizer
from pyftpdlib.handlers import FTPHandler
from pyftpdlib.servers import FTPServer

class SplitGreeting(FTPHandler):
    def handle(self):
        self.on_connect()
        s = self.socket
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        s.sendall(b"22")
        time.sleep(0.1)
        s.sendall(b"0 Welcome\r\n")

auth = DummyAuthorizer()
auth.add_anonymous(sys.argv[1])
SplitGreeting.authorizer = auth
SplitGreeting.passive_ports = range(10001, 10006)
FTPServer(("0.0.0.0", 21), SplitGreeting).serve_forever()
EOF
    cat >"$WORK/hostile.py" <<'EOF'
# pyftpdlib server with terminal escape sequences in its banner and in a 550 reply
import sys
from pyftpdlib.authorizers import DummyAuthorizer
from pyftpdlib.handlers import FTPHandler
from pyftpdlib.servers import FTPServer

class Hostile(FTPHandler):
    # ESC[2J (clear screen), OSC 0 title "pwned" ended by BEL, a bare BEL, a bare CR
    banner = "\x1b[2J\x1b]0;pwned\x07FTP Lab \x07hostile\rbanner"

    def ftp_RETR(self, file):
        if not self.fs.isfile(file):
            self.respond("550 \x1b[31mno such file\x1b[0m")
            return None
        return FTPHandler.ftp_RETR(self, file)

auth = DummyAuthorizer()
auth.add_anonymous(sys.argv[1])
Hostile.authorizer = auth
Hostile.passive_ports = range(10001, 10006)
FTPServer(("0.0.0.0", 21), Hostile).serve_forever()
EOF
    cat >"$WORK/smtpd.py" <<'EOF'
# minimal one-shot SMTP server on port 25
import socket
srv = socket.socket()
srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
srv.bind(("0.0.0.0", 25))
srv.listen(1)
srv.settimeout(60)
c, _ = srv.accept()
c.settimeout(30)
f = c.makefile("rb")
def send(s):
    c.sendall(s.encode() + b"\r\n")
send("220 mail.example.test ESMTP ftplab-test")
in_data = False
while True:
    line = f.readline()
    if not line:
        break
    if in_data:
        if line in (b".\r\n", b".\n"):
            in_data = False
            send("250 2.0.0 Ok: queued as 1")
        continue
    cmd = line.strip().upper()
    if cmd.startswith(b"EHLO") or cmd.startswith(b"HELO"):
        send("250 mail.example.test")
    elif cmd.startswith(b"MAIL") or cmd.startswith(b"RCPT"):
        send("250 2.1.0 Ok")
    elif cmd == b"DATA":
        in_data = True
        send("354 End data with <CR><LF>.<CR><LF>")
    elif cmd == b"QUIT":
        send("221 2.0.0 Bye")
        break
    else:
        send("502 5.5.2 Command not recognized")
c.close()
EOF
    cat >"$WORK/ftplib_client.py" <<'EOF'
from ftplib import FTP
f = FTP("203.0.113.10", timeout=20)
print(f.getwelcome())
f.login()
print(f.nlst())
buf = bytearray()
f.retrbinary("RETR readme.txt", buf.extend)
print("got", len(buf), "bytes")
f.quit()
EOF
    cat >"$WORK/smtp_client.py" <<'EOF'
import smtplib
msg = "From: alice@example.org\r\nTo: bob@example.net\r\nSubject: hello\r\n\r\nJust a test, no FTP here.\r\n"
s = smtplib.SMTP("203.0.113.10", 25, timeout=20)
s.sendmail("alice@example.org", ["bob@example.net"], msg)
s.quit()
EOF
}

# ---------------------------------------------------------------- cases
CURL=(curl -sS -v)
ACTIVE=(-P 198.51.100.7 --disable-eprt)
DROP_TO_CLIENT=(-A FORWARD -d 198.51.100.7 -m conntrack --ctstate NEW)

case_vsftpd-active-ok() {
    ns_up; vsftpd_start
    cap_start cap cli vsftpd-active-ok.pcap
    client 0 60 "${CURL[@]}" "${ACTIVE[@]}" ftp://203.0.113.10/ ftp://203.0.113.10/readme.txt \
        -o "$CD/list.out" -o "$CD/readme.out"
    cap_stop cap; stop vsftpd
    publish vsftpd-active-ok.pcap
}
case_vsftpd-active-ok-pcapng() {
    ns_up; vsftpd_start
    dumpcap_start cap cli vsftpd-active-ok-pcapng.pcapng
    client 0 60 "${CURL[@]}" "${ACTIVE[@]}" ftp://203.0.113.10/ ftp://203.0.113.10/readme.txt \
        -o "$CD/list.out" -o "$CD/readme.out"
    cap_stop cap; stop vsftpd
    publish vsftpd-active-ok-pcapng.pcapng
}
case_vsftpd-passive-ok() {
    ns_up; vsftpd_start
    cap_start cap cli vsftpd-passive-ok.pcap
    client 0 60 "${CURL[@]}" --disable-epsv ftp://203.0.113.10/ -o "$CD/list.out"
    cap_stop cap; stop vsftpd
    publish vsftpd-passive-ok.pcap
}
case_vsftpd-epsv-ok() {
    ns_up; vsftpd_start
    cap_start cap cli vsftpd-epsv-ok.pcap
    client 0 60 "${CURL[@]}" ftp://203.0.113.10/ -o "$CD/list.out"
    cap_stop cap; stop vsftpd
    publish vsftpd-epsv-ok.pcap
}
case_vsftpd-active-drop() {
    ns_up; vsftpd_start
    fw -A FORWARD -m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT
    fw "${DROP_TO_CLIENT[@]}" -j DROP
    cap_start capsrv srv vsftpd-active-drop-server.pcap
    cap_start capcli cli vsftpd-active-drop-client.pcap
    client 19 200 "${CURL[@]}" "${ACTIVE[@]}" ftp://203.0.113.10/ -o "$CD/list.out"
    fw -L FORWARD -v -n >"$CD/iptables.txt"
    cap_stop capcli; stop capsrv INT; stop vsftpd
    publish vsftpd-active-drop-server.pcap vsftpd-active-drop-client.pcap
}
case_vsftpd-active-reject-icmp() {
    ns_up; vsftpd_start
    fw -A FORWARD -m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT
    fw "${DROP_TO_CLIENT[@]}" -j REJECT
    cap_start cap srv vsftpd-active-reject-icmp.pcap
    client 19 200 "${CURL[@]}" "${ACTIVE[@]}" ftp://203.0.113.10/ -o "$CD/list.out"
    fw -L FORWARD -v -n >"$CD/iptables.txt"
    cap_stop cap; stop vsftpd
    publish vsftpd-active-reject-icmp.pcap
}
case_vsftpd-active-reject-rst() {
    ns_up; vsftpd_start
    fw -A FORWARD -m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT
    fw "${DROP_TO_CLIENT[@]}" -p tcp -j REJECT --reject-with tcp-reset
    cap_start cap srv vsftpd-active-reject-rst.pcap
    client 19 200 "${CURL[@]}" "${ACTIVE[@]}" ftp://203.0.113.10/ -o "$CD/list.out"
    fw -L FORWARD -v -n >"$CD/iptables.txt"
    cap_stop cap; stop vsftpd
    publish vsftpd-active-reject-rst.pcap
}
case_vsftpd-passive-drop() {
    ns_up; vsftpd_start
    fw -A FORWARD -m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT
    fw -A FORWARD -d 203.0.113.10 -p tcp --dport 10001:10005 -m conntrack --ctstate NEW -j DROP
    cap_start cap cli vsftpd-passive-drop.pcap
    client 28 200 "${CURL[@]}" --disable-epsv ftp://203.0.113.10/ -o "$CD/list.out"
    fw -L FORWARD -v -n >"$CD/iptables.txt"
    cap_stop cap; stop vsftpd
    publish vsftpd-passive-drop.pcap
}
case_pyftpdlib-active-drop() {
    ns_up; pyftpd_start -p 21 -d "$WORK/root"
    fw -A FORWARD -m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT
    fw "${DROP_TO_CLIENT[@]}" -j DROP
    cap_start cap srv pyftpdlib-active-drop.pcap
    client 28 200 "${CURL[@]}" "${ACTIVE[@]}" ftp://203.0.113.10/ -o "$CD/list.out"
    fw -L FORWARD -v -n >"$CD/iptables.txt"
    cap_stop cap; stop pyftpd
    publish pyftpdlib-active-drop.pcap
}
case_ftplib-pyftpdlib-passive-ok() {
    ns_up; pyftpd_start -p 21 -d "$WORK/root" -r 10001-10005
    cap_start cap cli ftplib-pyftpdlib-passive-ok.pcap
    client 0 60 "$PY" "$WORK/ftplib_client.py"
    cap_stop cap; stop pyftpd
    publish ftplib-pyftpdlib-passive-ok.pcap
}
case_snaplen() {
    ns_up
    mkdir -p "$WORK/bigroot"
    "$PY" -c '
import sys
line = lambda i: f"big.bin line {i:06d} ........................................\n".encode()
data = b"".join(line(i) for i in range(4000))[:204800]
open(sys.argv[1], "wb").write(data)' "$WORK/bigroot/big.bin"
    chmod 755 "$WORK/bigroot"; chmod 644 "$WORK/bigroot/big.bin"
    touch -d '2024-01-02 03:04:05 UTC' "$WORK/bigroot/big.bin" "$WORK/bigroot"
    vsftpd_conf "$WORK/bigroot" >"$CD/vsftpd.conf"
    bg vsftpd srv vsftpd "$CD/vsftpd.conf"; wait_for 10 listening srv 21
    cap_start cap96 cli snaplen-96.pcap -s 96
    cap_start cap200 cli snaplen-200.pcap -s 200
    client 0 60 "${CURL[@]}" --disable-epsv ftp://203.0.113.10/big.bin -o "$CD/big.out"
    cap_stop cap96; stop cap200 INT; stop vsftpd
    publish snaplen-96.pcap snaplen-200.pcap
}
case_vsftpd-multiline-banner() {
    ns_up
    printf 'Welcome to the FTP Lab test server.\nThis server is for teaching only.\nBe nice.\n' >"$CD/banner.txt"
    vsftpd_start "banner_file=$CD/banner.txt"
    cap_start cap cli vsftpd-multiline-banner.pcap
    client 0 60 "${CURL[@]}" ftp://203.0.113.10/ -o "$CD/list.out"
    cap_stop cap; stop vsftpd
    publish vsftpd-multiline-banner.pcap
}
case_split-greeting() {
    ns_up; pyscript_start split_greeting.py 21 "$WORK/root"
    cap_start cap cli split-greeting.pcap
    client 0 60 "${CURL[@]}" --disable-epsv ftp://203.0.113.10/ -o "$CD/list.out"
    cap_stop cap; stop pyscript
    publish split-greeting.pcap
}
case_smtp-session() {
    ns_up; pyscript_start smtpd.py 25
    cap_start cap cli smtp-session.pcap
    client 0 60 "$PY" "$WORK/smtp_client.py"
    cap_stop cap; stop pyscript
    publish smtp-session.pcap
}
case_hostile-replies() {
    ns_up; pyscript_start hostile.py 21 "$WORK/root"
    cap_start cap cli hostile-replies.pcap
    # --ignore-content-length: curl skips SIZE and sends RETR straight away
    client 78 60 "${CURL[@]}" ftp://203.0.113.10/ --ignore-content-length ftp://203.0.113.10/missing.txt \
        -o "$CD/list.out" -o "$CD/missing.out"
    cap_stop cap; stop pyscript
    publish hostile-replies.pcap
}

# ---------------------------------------------------------------- main
mkdir -p "$WORK/empty" "$OUT"
chmod 755 "$WORK" "$WORK/empty"
mkroot "$WORK/root"
write_scripts
[ $# -gt 0 ] || set -- "${CASES[@]}"
for c in "$@"; do
    declare -F "case_$c" >/dev/null || die "unknown case: $c (known: ${CASES[*]})"
done
for c in "$@"; do
    CD=$WORK/$c; mkdir -p "$CD"; chmod 755 "$CD"
    log "case $c"
    "case_$c"
    ns_down
done
log "done"
