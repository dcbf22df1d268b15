"""Speaks the MySQL protocol byte by byte to the gateway to check how it
answers malformed, truncated, oversized and out-of-order packets, slow
clients and commands it must refuse. Every case must get its precise error
(or a closed connection where framing is lost) and the gateway must keep
serving other sessions.

Usage: rawproto.py HOST TLS_PORT PLAIN_PORT TOKEN_FILE
"""
import socket
import struct
import sys
import time

HOST, TLS_PORT, PLAIN_PORT = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
TOKEN = open(sys.argv[4], "rb").read().strip()

CLIENT_PROTOCOL_41 = 1 << 9
CLIENT_SSL = 1 << 11
CLIENT_SECURE_CONNECTION = 1 << 15
CLIENT_PLUGIN_AUTH = 1 << 19
CLIENT_LENENC = 1 << 21
CAPS = CLIENT_PROTOCOL_41 | CLIENT_SECURE_CONNECTION | CLIENT_PLUGIN_AUTH | CLIENT_LENENC

passed = failed = 0


def check(ok, name, detail=""):
    global passed, failed
    if ok:
        passed += 1
        print("ok - " + name)
    else:
        failed += 1
        print("not ok - %s: %s" % (name, detail))
    sys.stdout.flush()


def packet(payload, seq):
    return struct.pack("<I", len(payload))[:3] + bytes([seq]) + payload


def recv_exact(s, n):
    buf = b""
    while len(buf) < n:
        chunk = s.recv(n - len(buf))
        if not chunk:
            raise EOFError("closed after %d of %d bytes" % (len(buf), n))
        buf += chunk
    return buf


def read_packet(s):
    h = recv_exact(s, 4)
    n = h[0] | h[1] << 8 | h[2] << 16
    return h[3], recv_exact(s, n)


def err_of(payload):
    if not payload or payload[0] != 0xFF:
        return None
    code = struct.unpack("<H", payload[1:3])[0]
    msg = payload[9:].decode("utf-8", "replace") if payload[3:4] == b"#" else payload[3:].decode()
    return code, msg


def lenenc(n):
    if n < 251:
        return bytes([n])
    if n < 1 << 16:
        return b"\xfc" + struct.pack("<H", n)
    return b"\xfd" + struct.pack("<I", n)[:3]


def connect(port, timeout=10):
    s = socket.create_connection((HOST, port), timeout=timeout)
    seq, greeting = read_packet(s)
    assert greeting[0] == 10, greeting[:10]
    return s


def login_response(user=b"orders", token=TOKEN, caps=CAPS):
    return (struct.pack("<IIB", caps, 1 << 24, 45) + b"\0" * 23 + user + b"\0"
            + lenenc(len(token) + 1) + token + b"\0" + b"mysql_clear_password\0")


def logged_in():
    """A session on the loopback plaintext listener, token sent at once."""
    s = connect(PLAIN_PORT)
    s.sendall(packet(login_response(), 1))
    seq, p = read_packet(s)
    assert p[0] == 0x00, "login failed: %r" % (err_of(p),)
    return s


def expect_err(s, code, text, name):
    try:
        seq, p = read_packet(s)
    except (EOFError, OSError) as e:
        check(False, name, "no error packet: %s" % e)
        return
    e = err_of(p)
    check(e is not None and e[0] == code and text in e[1], name, repr(e))


def expect_closed(s, name):
    try:
        data = s.recv(100)
        # An error packet may come first; then the close.
        while data:
            data = s.recv(100)
        check(True, name)
    except (ConnectionResetError, socket.timeout) as e:
        check(isinstance(e, ConnectionResetError), name, str(e))


def query(s, sql):
    s.sendall(packet(b"\x03" + sql, 0))
    return read_packet(s)


# A healthy session held open through all the abuse below.
keeper = logged_in()

# Before login.
s = connect(TLS_PORT)
s.sendall(packet(b"\x01\x02\x03", 1))
expect_err(s, 1043, "handshake response is truncated", "truncated handshake response")
s.close()

s = connect(TLS_PORT)
s.sendall(packet(b"\0" * 40, 1))
expect_err(s, 1043, "protocol 4.1", "handshake response without protocol 4.1")
s.close()

s = connect(TLS_PORT)
s.sendall(struct.pack("<I", 1 << 20)[:3] + b"\x01")
expect_err(s, 1153, "max_packet_size_auth", "oversized packet before login refused unread")
s.close()

s = connect(TLS_PORT)
s.sendall(packet(login_response(), 5))
expect_err(s, 1156, "out of order", "wrong sequence id during login")
s.close()

s = connect(TLS_PORT)
s.sendall(packet(struct.pack("<IIB", CAPS | CLIENT_SSL, 1 << 24, 45) + b"\0" * 23, 1)
          + b"GET / HTTP/1.0\r\n\r\n")
expect_closed(s, "plaintext smuggled after SSLRequest closes the connection")
s.close()

s = connect(TLS_PORT)
s.sendall(packet(login_response(), 1))
expect_err(s, 3159, "TLS is required", "token without TLS on a TLS listener")
s.close()

s = connect(TLS_PORT)
s.sendall(b"\x10\x00")   # half a header, then silence
start = time.time()
expect_err(s, 1043, "login did not complete", "slow client hits the handshake timeout")
took = time.time() - start
check(2.0 <= took <= 6.0, "handshake timeout honoured (%.1f s)" % took)
s.close()

s = connect(PLAIN_PORT)
s.sendall(packet(login_response(user=b"x" * 65), 1))
expect_err(s, 1045, "must name a connection", "overlong user name")
s.close()

# After login.
s = logged_in()
s.sendall(packet(b"", 0))
expect_err(s, 1835, "empty command", "empty command packet")
s.close()

s = logged_in()
s.sendall(packet(b"\x03SELECT 1", 3))
expect_err(s, 1156, "out of order", "command with a wrong sequence id")
s.close()

s = logged_in()
big = 2 << 20
s.sendall(struct.pack("<I", big)[:3] + b"\x00")
expect_err(s, 1153, "max_packet_size", "command above max_packet_size refused unread")
s.close()

s = logged_in()
for cmd, code, text, name in [
        (b"\x11orders\0", 1227, "identity is fixed", "COM_CHANGE_USER refused"),
        (b"\x12\0\0\0\0\0\0\x01\0\0\0", 1227, "COM_BINLOG_DUMP is not allowed", "COM_BINLOG_DUMP refused"),
        (b"\x15\x01\0\0\0", 1227, "COM_REGISTER_SLAVE is not allowed", "COM_REGISTER_SLAVE refused"),
        (b"\x08\x00", 1227, "COM_SHUTDOWN is not allowed", "COM_SHUTDOWN refused"),
        (b"\x0c\x01\0\0\0", 1227, "COM_PROCESS_KILL is not allowed", "COM_PROCESS_KILL refused"),
        (b"\x1e\0\0", 1227, "COM_BINLOG_DUMP_GTID is not allowed", "COM_BINLOG_DUMP_GTID refused"),
        (b"\x1b\x07\x00", 1047, "malformed COM_SET_OPTION", "COM_SET_OPTION with an unknown option refused"),
        (b"\x1b\x00", 1047, "malformed COM_SET_OPTION", "truncated COM_SET_OPTION refused"),
        (b"\x99", 1047, "unknown command 0x99", "unknown command refused")]:
    s.sendall(packet(cmd, 0))
    expect_err(s, code, text, name)
seq, p = query(s, b"SELECT 1")
check(p[0] == 1, "session still usable after refused commands", repr(p[:10]))
s.close()

seq, p = query(keeper, b"SELECT 'still here'")
check(p[0] == 1, "a session open throughout keeps working", repr(p[:10]))
keeper.close()

print("%d passed, %d failed" % (passed, failed))
sys.exit(1 if failed else 0)
