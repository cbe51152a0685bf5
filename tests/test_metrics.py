"""`voxelhub serve --metrics-port`: Prometheus metrics of every worker, summed, on a port of their own;
route families are path templates, so a token in a path never becomes a label."""

from __future__ import annotations

import httpx2 as httpx
from prometheus_client.parser import text_string_to_metric_families

from tests.server import free_port, running_server
from voxelhub.metrics import UNMATCHED, route_family


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    found = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            found[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return found


def test_metrics_of_two_workers_are_summed_on_their_own_port(settings):
    port = free_port()
    with running_server(settings, workers=2, args=["--metrics-port", str(port)]) as base:
        with httpx.Client(base_url=base) as client:
            for _ in range(10):
                assert client.get("/api/buildinfo").status_code == 200
            assert client.get("/data/s/secret-share-token-123/nothing").status_code == 404
            assert client.get("/api/v16/buildinfo").status_code == 200
        text = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=5).text
        assert httpx.get(f"{base}/metrics").status_code == 404  # not on the app's port
    found = samples(text)
    buildinfo = (("family", "/api/buildinfo"), ("method", "GET"), ("status", "200"))
    # 10 here, one for the versioned path, and the readiness probes of running_server
    assert found[("voxelhub_requests_total", buildinfo)] >= 11
    assert found[("voxelhub_request_duration_seconds_count", (("family", "/api/buildinfo"),))] >= 11
    assert "secret-share-token-123" not in text
    assert ("voxelhub_db_connections_in_use", ()) in found  # sampled as requests end (0 when idle)


def test_route_family_is_the_template_or_unmatched():
    class Matched:
        def __init__(self, path: str) -> None:
            self.path = path

    included = {
        "fastapi": {"effective_route_context": Matched("/api/annotations/{annotation_id}")},
        "route": Matched("/annotations/{annotation_id}"),
    }
    assert route_family(included) == "/api/annotations/{annotation_id}"
    assert route_family({"route": Matched("/static")}) == "/static"
    assert route_family({}) == UNMATCHED
