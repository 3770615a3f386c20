"""Test support: a real HTTP receiver on a loopback address, partners with endpoints, and
a loop that runs the relay and the senders until a condition holds (bounded in time)."""

import http.server
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal

from clicknback.audit.models import ActorType
from clicknback.audit.services import Actor
from events.deliveries import webhook_deliveries_claim, webhook_delivery_send
from events.notifications import notifications_send
from events.relay import events_relay
from events.services import webhook_endpoint_create
from offers.tests.factories import OfferFactory
from partners.services import partner_create
from purchases.ingestion import PurchaseReport, Reporter, purchases_ingest
from purchases.services import ingested_or_raise
from purchases.tests.factories import next_external_id

SYSTEM_ADMIN = Actor(ActorType.SYSTEM, None)


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes
    at: float


@dataclass
class Receiver:
    """Answers each POST with the next of ``statuses`` (the last one repeats); ``hang``
    seconds of silence first when set; ``location`` is sent with a 3xx."""

    host: str = "127.0.0.1"
    statuses: list[int] = field(default_factory=lambda: [200])
    hang: float = 0.0
    location: str = ""
    received: list[Received] = field(default_factory=list)

    def start(self) -> "Receiver":
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                length = int(self.headers.get("Content-Length", "0"))
                body = self.rfile.read(length)
                index = len(receiver.received)
                receiver.received.append(
                    Received(self.path, {k.lower(): v for k, v in self.headers.items()}, body, time.monotonic())
                )
                if receiver.hang:
                    time.sleep(receiver.hang)
                status = receiver.statuses[min(index, len(receiver.statuses) - 1)]
                try:
                    self.send_response(status)
                    if receiver.location:
                        self.send_header("Location", receiver.location)
                    self.send_header("Content-Length", "2")
                    self.end_headers()
                    self.wfile.write(b"ok")
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the sender gave up waiting (the hanging receiver)

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer((self.host, 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self.thread.start()
        return self

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.server.server_address[1]}/hooks"

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def partner_with_merchant(name: str = "Shop"):
    offer = OfferFactory()
    partner = partner_create(name=f"{name} {next_external_id()}", merchant_ids=[offer.merchant_id], actor=SYSTEM_ADMIN)
    return partner, offer


def endpoint_for(partner, url: str, event_types=None):
    return webhook_endpoint_create(
        partner_id=partner.pk, url=url, event_types=event_types, actor=Actor(ActorType.PARTNER, partner.pk)
    )


def partner_purchase(partner, offer, user, amount: Decimal = Decimal("100.00")):
    reporter = Reporter(
        actor=Actor(ActorType.PARTNER, partner.pk), partner_id=partner.pk, merchant_ids=frozenset([offer.merchant_id])
    )
    report = PurchaseReport(
        external_id=next_external_id(), user_id=user.pk, merchant_id=offer.merchant_id, amount=amount, currency="EUR"
    )
    (result,) = purchases_ingest(reports=[report], reporter=reporter)
    return ingested_or_raise(result)


def run_once() -> int:
    """One pass of what the workers do: relay, claim the due deliveries and send them, send emails."""
    events_relay()
    claimed = webhook_deliveries_claim()
    for delivery_id, token in claimed:
        webhook_delivery_send(delivery_id=delivery_id, claim_token=token)
    notifications_send()
    return len(claimed)


def run_until(done: Callable[[], bool], *, timeout: float = 10.0, pause: float = 0.02) -> None:
    deadline = time.monotonic() + timeout
    while True:
        run_once()
        if done():
            return
        if time.monotonic() > deadline:
            raise AssertionError("the condition did not hold in time")
        time.sleep(pause)
