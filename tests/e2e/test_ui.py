"""The Dagster UI starts with the documented command and shows what operators need: the asset
graph with its partitions and checks, the nightly schedule and the landing sensor."""

import json
import os
import signal
import socket
import subprocess
import time
import urllib.request

import pytest

from zhongcao.config import REPO_ROOT

pytestmark = pytest.mark.e2e


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def graphql(port: int, query: str) -> dict:
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/graphql",
        data=json.dumps({"query": query}).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read())["data"]


def test_the_ui_answers_on_localhost_with_graph_partitions_checks_schedule_and_sensor(workspace):
    port = free_port()
    ui = subprocess.Popen(
        [str(REPO_ROOT / "zc"), "ui", "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.STDOUT,
        start_new_session=True,
        env={**os.environ, "PATH": f"{REPO_ROOT / '.venv' / 'bin'}:{os.environ['PATH']}"},
    )
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/server_info", timeout=5) as response:
                    assert response.status == 200
                    break
            except OSError:
                assert ui.poll() is None, "the UI exited"
                assert time.monotonic() < deadline, "the UI did not answer within 120 s"
                time.sleep(1)

        nodes = graphql(
            port,
            "{ assetNodes { assetKey { path } isPartitioned partitionDefinition { description } "
            "assetChecksOrError { ... on AssetChecks { checks { name blocking } } } } }",
        )["assetNodes"]
        by_key = {"/".join(n["assetKey"]["path"]): n for n in nodes}
        assert {"publish", "marts/mart_funnel_daily", "databank/touchpoints", "marts/fct_touchpoints"} <= set(by_key)
        assert len(by_key) > 80
        assert by_key["publish"]["partitionDefinition"]["description"] == "Daily, starting 2026-10-01 Asia/Shanghai."
        checks = {c["name"]: c["blocking"] for c in by_key["databank/touchpoints"]["assetChecksOrError"]["checks"]}
        assert checks == {"gx_databank__touchpoints": True, "freshness": False}

        (repository,) = graphql(
            port,
            "{ repositoriesOrError { ... on RepositoryConnection { nodes { schedules { name cronSchedule "
            "executionTimezone scheduleState { status } } sensors { name sensorState { status } } } } } }",
        )["repositoriesOrError"]["nodes"]
        assert repository["schedules"] == [
            {
                "name": "nightly",
                "cronSchedule": "0 2 * * *",
                "executionTimezone": "Asia/Shanghai",
                "scheduleState": {"status": "RUNNING"},
            }
        ]
        assert repository["sensors"] == [{"name": "landing_sensor", "sensorState": {"status": "RUNNING"}}]
        backfill = graphql(
            port,
            '{ assetNodeOrError(assetKey: {path: ["publish"]}) '
            "{ ... on AssetNode { backfillPolicy { policyType } } } }",
        )
        assert backfill["assetNodeOrError"]["backfillPolicy"]["policyType"] == "SINGLE_RUN"
    finally:
        os.killpg(ui.pid, signal.SIGTERM)
        try:
            ui.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(ui.pid, signal.SIGKILL)
