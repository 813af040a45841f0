"""A burst like a cohort import's: hundreds of events at once over 8 keep-alive connections, each
stored exactly once. How fast is the benchmark's (`benchmarks/bench_webhook_receiver.py`)."""

from concurrent.futures import ThreadPoolExecutor

from simulator.webhooks import deliveries, send
from tests.webhooks.conftest import SECRET

CONNECTIONS = 8


def test_a_burst_over_eight_keep_alive_connections_stores_every_event_exactly_once(
    receiver, events
):
    sent = events.sample(400)
    outgoing = deliveries(sent, SECRET, duplicates=40, reorder=True, seed=8)
    with ThreadPoolExecutor(max_workers=CONNECTIONS) as pool:
        shares = pool.map(
            lambda k: send(receiver.url, outgoing[k::CONNECTIONS]), range(CONNECTIONS)
        )
        statuses = [status for share in shares for status in share]
    assert statuses == [200] * len(outgoing)
    stored = receiver.stored()
    assert sorted(event.id for event in stored) == sorted(event["id"] for event in sent)
    assert [event.sequence_number for event in stored] == list(range(1, len(sent) + 1))
