# Push one incident report to the hub's ingest socket (no reply on PUSH).
import json, os, zmq

ctx = zmq.Context()
push = ctx.socket(zmq.PUSH)
push.connect(os.environ.get("WATCHFLOOR_INGEST", "tcp://127.0.0.1:7401"))
incident = {"ref": "acme-2026-17", "title": "Spear-phishing reached the plant network",
            "org": "Acme Energy", "sector": "energy", "level": 3}
push.send_multipart([b"incident", json.dumps(incident).encode()])
ctx.destroy(linger=5000)  # let the message leave before exiting (at most 5 s)
