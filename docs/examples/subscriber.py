# Print every event the hub publishes: topic, seq, body.
import json, os, zmq

ctx = zmq.Context()
sub = ctx.socket(zmq.SUB)
sub.connect(os.environ.get("WATCHFLOOR_EVENTS", "tcp://127.0.0.1:7402"))
sub.setsockopt(zmq.SUBSCRIBE, b"")  # every topic; b"case." for cases only
while True:
    topic, body = sub.recv_multipart()
    event = json.loads(body)
    print(topic.decode(), event["seq"], json.dumps(event), flush=True)
