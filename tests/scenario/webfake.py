"""A stand-in for clusterd on a unix socket (the wire format of include/vmha/wire.h) for
vmha-web's scenario test and benchmark: answers STATUS with a document of three nodes and N VMs
(changeable while it runs), EVENTS with an empty history, CIB_QUERY with the database it was
given (set_cib), anything else with ok; records every request."""
import json
import socket
import struct
import threading

MAGIC, VERSION = 0x41484D56, 1
MSG_STATUS, MSG_CIB_QUERY, MSG_EVENTS, MSG_VM_SET, MSG_REPLY = 1, 5, 8, 18, 32
MSG_NODE_RESUME, MSG_VM_MOVE = 28, 29
F_NAME, F_KV, F_RC, F_MESSAGE, F_JSON, F_CIB, F_NODE, F_CALLER_COMMAND = 1, 7, 8, 9, 10, 19, 20, 35
# Each VM's utilization memory (MiB) and cpu, each node's capacity (None: not configured).
VM_MEMORY, VM_CPU = 512, 1
NODE_MEMORY, NODE_CPU = {"n1": 4096, "n2": 2048, "n3": None}, {"n1": 8, "n2": None, "n3": None}


def encode(mtype, fields):
    body = b"".join(struct.pack("<HHI", t, 0, len(v)) + v for t, v in fields)
    return struct.pack("<IHHHHI", MAGIC, VERSION, mtype, len(fields), 0, len(body)) + body


def decode(buf):
    _, _, mtype, n, _, _ = struct.unpack_from("<IHHHHI", buf)
    off, fields = 16, []
    for _ in range(n):
        tag, _, flen = struct.unpack_from("<HHI", buf, off)
        fields.append((tag, buf[off + 8:off + 8 + flen].decode()))
        off += 8 + flen
    return mtype, fields


def status_doc(n_vms):
    nodes = [{"name": "n%d" % i, "id": i, "online": True, "clusterd": True, "leader": i == 1,
              "local": i == 1, "state": "online", "standby": False, "maintenance": False,
              "drain": False,
              "fence": {"requested": None, "fenced": None, "failures": 0, "last_attempt": None,
                        "last_error": None}} for i in (1, 2, 3)]
    vms = [{"name": "vm%03d" % i, "state": "running", "nodes": ["n%d" % (1 + i % 3)],
            "why": None, "priority": i % 5, "planned_node": None, "target_role": None,
            "pending": None, "fail_counts": {}, "last_failure": None} for i in range(n_vms)]
    for n in nodes:
        on = [v for v in vms if n["name"] in v["nodes"]]
        n["load"] = {"vms": len(on), "memory_used_mib": VM_MEMORY * len(on),
                     "memory_mib": NODE_MEMORY[n["name"]], "cpu_used": VM_CPU * len(on),
                     "cpu": NODE_CPU[n["name"]]}
    return {"local_node": {"id": 1, "name": "n1"}, "leader": {"id": 1, "name": "n1"},
            "corosync": True, "quorate": True, "expected_votes": 3, "nodes": nodes, "vms": vms,
            "vms_error": None, "database": {"in_sync": True}}


class FakeClusterd:
    def __init__(self, path, n_vms):
        self.status = status_doc(n_vms)
        self.requests, self.doc, self.cib = [], json.dumps(self.status).encode(), None
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.bind(path)
        self.sock.listen(16)
        threading.Thread(target=self.serve, daemon=True).start()

    def serve(self):
        while True:
            try:
                c, _ = self.sock.accept()
            except OSError:
                return
            buf = b""
            while len(buf) < 16 or len(buf) < 16 + struct.unpack_from("<I", buf, 12)[0]:
                chunk = c.recv(65536)
                if not chunk:
                    break
                buf += chunk
            mtype, fields = decode(buf)
            self.requests.append((mtype, fields))
            reply = [(F_RC, struct.pack("<Q", 0)), (F_MESSAGE, b"ok")]
            if mtype == MSG_STATUS:
                reply.append((F_JSON, self.doc))
            elif mtype == MSG_CIB_QUERY and self.cib is not None:
                reply.append((F_CIB, self.cib))
            elif mtype == MSG_EVENTS:
                reply.append((F_JSON, b'{"events": [], "last_seq": 0}'))
            c.sendall(encode(MSG_REPLY, reply))
            c.close()

    def set_status(self, status):
        """A new STATUS answer from the next request on."""
        self.doc = json.dumps(status).encode()

    def set_cib(self, xml):
        """The database CIB_QUERY answers with from the next request on."""
        self.cib = xml.encode()

    def writes(self):
        return [(t, f) for t, f in self.requests if t not in (MSG_STATUS, MSG_EVENTS)]
