# Send one acknowledged report on the control socket and print the reply.
import json, os, sys, zmq

ctx = zmq.Context()
dealer = ctx.socket(zmq.DEALER)
dealer.connect(os.environ.get("WATCHFLOOR_CONTROL", "tcp://127.0.0.1:7403"))
request = {"op": "report", "id": "acme-2026-18", "user": os.environ.get("WATCHFLOOR_USER", "anonymous"),
           "topic": "incident", "body": {"ref": "acme-2026-18", "title": "Historian beaconing",
                                         "org": "Acme Energy", "sector": "energy"}}
dealer.send_multipart([b"request", json.dumps(request).encode()])
if not dealer.poll(5000):
    sys.exit("no reply from the hub within 5 s")
topic, reply = dealer.recv_multipart()  # topic is b"reply"
print(reply.decode())
sys.exit(0 if json.loads(reply)["ok"] else 1)
