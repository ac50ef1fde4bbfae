# Send one acknowledged report over the control socket and print the reply.
import getpass, json, os, sys, zmq

ctx = zmq.Context()
dealer = ctx.socket(zmq.DEALER)
dealer.connect(os.environ.get("WATCHFLOOR_CONTROL", "tcp://127.0.0.1:7403"))
body = {"ref": "acme-2026-18", "title": "Historian beaconing to an unknown host",
        "org": "Acme Energy", "sector": "energy", "level": 2}
request = {"op": "report", "id": "acme-2026-18", "topic": "incident", "body": body,
           "user": os.environ.get("WATCHFLOOR_USER") or getpass.getuser()}
dealer.send_multipart([b"request", json.dumps(request).encode()])
if not dealer.poll(5000):
    sys.exit("no reply from the hub within 5 s")
topic, reply = dealer.recv_multipart()  # topic is b"reply"
print(reply.decode())
sys.exit(0 if json.loads(reply)["ok"] else 1)
