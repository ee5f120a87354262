"""libtorrent (the PyPI wheel) as an interop peer: the driver protocol of
tests/interop/README.md on stdin/stdout.

    python3 driver.py --bind 127.0.0.1:PORT [--bootstrap 127.0.0.1:P]...

libtorrent's Python binding has no dht_direct_request, so `find_node` is
libtorrent's own iterative lookup towards the target (it sends get_peers),
read from its DHT log; `find_node` with "addr" is refused.
"""
import hashlib
import json
import os
import re
import sys
import time

import libtorrent as lt
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

TIMEOUT = 30.0
DEBUG = os.environ.get("INTEROP_DEBUG") == "1"  # every alert on stderr
K = 20


def settings(port, bootstrap):
    cat = lt.alert.category_t
    return {
        "listen_interfaces": f"127.0.0.1:{port}",
        "enable_dht": True,
        # Only our list: the default is dht.libtorrent.org:25401.
        "dht_bootstrap_nodes": ",".join(bootstrap),
        "enable_lsd": False,
        "enable_upnp": False,
        "enable_natpmp": False,
        "enable_ip_notifier": False,
        # Many nodes on one IP (127.0.0.1):
        "dht_restrict_routing_ips": False,  # else one routing-table entry per IP
        "dht_restrict_search_ips": False,  # else one node per IP in a lookup
        "dht_prefer_verified_node_ids": False,  # BEP 42 ids
        "dht_enforce_node_id": False,
        "dht_block_ratelimit": 1_000_000,  # packets/s from one IP before blocking it (5)
        "dht_upload_rate_limit": 10_000_000,  # bytes/s (8000)
        "alert_mask": cat.dht_notification
        | cat.dht_log_notification
        | cat.dht_operation_notification
        | cat.status_notification
        | cat.error_notification,
    }


def keypair(seed):
    """libtorrent's ed25519_create_keypair: the secret key is the clamped
    SHA-512 of the seed (ref10's 64 bytes)."""
    h = bytearray(hashlib.sha512(seed).digest())
    h[0] &= 248
    h[31] &= 63
    h[31] |= 64
    pk = Ed25519PrivateKey.from_private_bytes(seed).public_key()
    return pk.public_bytes(Encoding.Raw, PublicFormat.Raw), bytes(h)


def sha1(text):
    return lt.sha1_hash(bytes.fromhex(text))


def hexarg(cmd, key, n):
    s = cmd.get(key)
    if not isinstance(s, str) or not re.fullmatch(f"[0-9a-fA-F]{{{2 * n}}}", s):
        raise ValueError(f"{key}: {2 * n} hex digits expected")
    return s.lower()


def text(v):
    if isinstance(v, bytes):
        return v.decode("utf-8")
    if isinstance(v, str):
        return v
    raise ValueError(f"value is not a byte string: {v!r}")


class Peer:
    def __init__(self, port, bootstrap):
        self.ses = lt.session(settings(port, bootstrap))
        self.id = None
        self.port = None
        self.log = []  # dht_log_alert lines of the running command
        listening = False
        booted = not bootstrap
        deadline = time.time() + TIMEOUT
        while not (listening and booted and self.id) and time.time() < deadline:
            for a in self.pop():
                if isinstance(a, lt.listen_succeeded_alert) and a.socket_type == lt.socket_type_t.udp:
                    listening, self.port = True, a.port
                elif isinstance(a, lt.listen_failed_alert):
                    raise RuntimeError(a.message())
                elif isinstance(a, lt.dht_bootstrap_alert):
                    booted = True
        if not (listening and self.id):
            raise RuntimeError("the DHT did not start within 30 s")

    def pop(self):
        self.ses.wait_for_alert(100)
        alerts = self.ses.pop_alerts()
        for a in alerts:
            if isinstance(a, lt.dht_log_alert):
                m = re.search(r"DHT tracker with node id: ([0-9a-f]{40})", a.message())
                if m:
                    self.id = m.group(1)
                self.log.append(a.message())
            if DEBUG:
                print(f"{type(a).__name__}: {a.message()}", file=sys.stderr)
        return alerts

    def wait(self, what, pred):
        deadline = time.time() + TIMEOUT
        while time.time() < deadline:
            for a in self.pop():
                if pred(a):
                    return a
        raise TimeoutError(f"no {what} within {TIMEOUT:.0f} s")

    def traversal(self, target):
        """Waits for libtorrent's lookup of `target` to complete; returns the
        nodes that answered it (id, addr), read from the DHT log."""
        tid, answered = None, {}
        deadline = time.time() + TIMEOUT
        while time.time() < deadline:
            for line in self.log:
                m = re.search(r"\[(\w+)\] NEW target: ([0-9a-f]{40})", line)
                if m and m.group(2) == target and tid is None:
                    tid = m.group(1)
                if tid is None or f"[{tid}]" not in line:
                    continue
                m = re.search(r"RESPONSE id: ([0-9a-f]{40}) .*addr: (\S+)", line)
                if m:
                    answered[m.group(1)] = m.group(2)
                if "COMPLETED" in line:
                    return answered
            tid, answered = None, {}
            self.pop()
        raise TimeoutError(f"the lookup of {target} did not complete within {TIMEOUT:.0f} s")

    def command(self, cmd):
        self.log = []
        op = cmd.get("op")
        if op == "id":
            return {"id": self.id, "port": self.port}
        if op == "find_node":
            if "addr" in cmd:
                raise ValueError("a find_node to one node needs dht_direct_request, "
                                 "which libtorrent's Python binding lacks")
            target = hexarg(cmd, "target", 20)
            self.ses.dht_get_peers(sha1(target))
            answered = self.traversal(target)
            dist = lambda i: int(i, 16) ^ int(target, 16)  # noqa: E731
            ids = sorted((i for i in answered if i != self.id), key=dist)[:K]
            return {"nodes": [{"id": i, "addr": answered[i]} for i in ids]}
        if op == "get_peers":
            ih = hexarg(cmd, "info_hash", 20)
            self.ses.dht_get_peers(sha1(ih))
            a = self.wait("get_peers reply", lambda a: isinstance(a, lt.dht_get_peers_reply_alert)
                          and str(a.info_hash) == ih)
            return {"peers": sorted({f"{ip}:{port}" for ip, port in a.peers()})}
        if op == "announce":
            ih = hexarg(cmd, "info_hash", 20)
            if not isinstance(cmd.get("port"), int):
                raise ValueError("port: integer expected")
            # No alert tells that an announce is done: wait for its lookup,
            # then count the announce_peer queries that went out.
            self.ses.dht_announce(sha1(ih), cmd["port"], 0)
            self.traversal(ih)
            time.sleep(1.0)
            self.pop()
            sent = sum(1 for x in self.log if "invoking announce_peer" in x)
            if not sent:
                raise RuntimeError("no announce_peer was sent")
            return {"stored": sent}
        if op == "put_immutable":
            value = cmd.get("value")
            if not isinstance(value, str):
                raise ValueError("value: string expected")
            target = str(self.ses.dht_put_immutable_item(value.encode()))
            a = self.wait("put reply", lambda a: isinstance(a, lt.dht_put_alert) and str(a.target) == target)
            if a.num_success == 0:
                raise RuntimeError("no node stored the item")
            return {"target": target, "stored": a.num_success}
        if op == "get_immutable":
            target = hexarg(cmd, "target", 20)
            self.ses.dht_get_immutable_item(sha1(target))
            a = self.wait("immutable item", lambda a: isinstance(a, lt.dht_immutable_item_alert)
                          and str(a.target) == target)
            if a.item is None or a.item == b"" and hashlib.sha1(b"0:").hexdigest() != target:
                raise RuntimeError("no value found")
            return {"value": text(a.item)}
        if op == "put_mutable":
            pk, sk = keypair(bytes.fromhex(hexarg(cmd, "key_seed", 32)))
            salt = cmd.get("salt", "").encode()
            # libtorrent picks seq itself: one more than the highest it finds.
            self.ses.dht_put_mutable_item(sk, pk, str(cmd.get("value")).encode(), salt)
            a = self.wait("put reply", lambda a: isinstance(a, lt.dht_put_alert) and bytes(a.public_key) == pk
                          and bytes(a.salt) == salt)
            target = hashlib.sha1(pk + salt).hexdigest()
            if a.num_success == 0:
                raise RuntimeError("no node stored the item")
            if "seq" in cmd and a.seq != cmd["seq"]:
                raise RuntimeError(f"libtorrent put seq {a.seq}, not {cmd['seq']} (it takes the highest found + 1)")
            return {"target": target, "pubkey": pk.hex(), "seq": a.seq, "stored": a.num_success}
        if op == "get_mutable":
            pk = bytes.fromhex(hexarg(cmd, "pubkey", 32))
            salt = cmd.get("salt", "").encode()
            self.ses.dht_get_mutable_item(pk, salt)
            a = self.wait("mutable item", lambda a: isinstance(a, lt.dht_mutable_item_alert)
                          and a.authoritative and bytes(a.key) == pk and bytes(a.salt) == salt)
            if a.item is None or a.seq == 0 and not bytes(a.signature).strip(b"\0"):
                raise RuntimeError("no value found")
            return {"value": text(a.item), "seq": a.seq}
        if op == "table":
            self.ses.dht_live_nodes(sha1(self.id))
            a = self.wait("live nodes", lambda a: isinstance(a, lt.dht_live_nodes_alert))
            nodes = [{"id": str(n["nid"]), "addr": f"{n['endpoint'][0]}:{n['endpoint'][1]}"} for n in a.nodes]
            return {"nodes": sorted(nodes, key=lambda n: n["id"])}
        raise ValueError(f"unknown op {op!r}")


def main():
    args, bind, bootstrap = sys.argv[1:], None, []
    for flag, value in zip(args[::2], args[1::2]):
        if not re.fullmatch(r"\d+\.\d+\.\d+\.\d+:\d+", value):
            sys.exit(f"driver.py: {flag} {value}: IPv4:port expected")
        if flag == "--bind":
            bind = value
        elif flag == "--bootstrap":
            bootstrap.append(value)
        else:
            sys.exit(f"driver.py: unknown argument {flag}")
    if len(args) % 2 or not bind:
        sys.exit("driver.py: --bind 127.0.0.1:PORT [--bootstrap ADDR]...")
    if not bind.startswith("127."):
        sys.exit("driver.py: loopback only")
    peer = Peer(int(bind.rsplit(":", 1)[1]), bootstrap)
    say = lambda obj: print(json.dumps(obj), flush=True)  # noqa: E731
    say({"ready": True, "id": peer.id, "port": peer.port, "impl": f"libtorrent {lt.__version__}"})
    for line in sys.stdin:
        if not line.strip():
            continue
        try:
            cmd = json.loads(line)
        except ValueError as e:
            say({"ok": False, "error": f"not JSON: {e}"})
            continue
        if cmd.get("op") == "quit":
            say({"ok": True})
            return
        try:
            say({"ok": True, **peer.command(cmd)})
        except Exception as e:  # noqa: BLE001 - every failure is an answer
            say({"ok": False, "error": f"{cmd.get('op')}: {e}"})


if __name__ == "__main__":
    main()
