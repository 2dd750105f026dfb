"""What the local fake GitHub servers (fake_github.py, fake_github_org.py) share: a
request handler that answers like a real server on the wire. Benchmark helpers only."""
from http.server import BaseHTTPRequestHandler


class QuietHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Headers and body go out in separate writes; with Nagle's algorithm the body then
    # waits for the client's delayed ACK (~40 ms), which is not GitHub's latency.
    disable_nagle_algorithm = True

    def log_message(self, *args):
        pass
