"""A failed step writes an alert: an error line in the run's log, a JSON line in
$ZHONGCAO_HOME/alerts.log, and a POST to ZHONGCAO_ALERT_WEBHOOK when it is set (a Slack,
DingTalk, Feishu or WeCom incoming webhook reads the `text` field)."""

import json
import urllib.request
from datetime import UTC, datetime

import dagster as dg

from dagster_project.defs.warehouse.partitions import days_of_tags
from zhongcao.config import Settings

ALERTS_LOG = "alerts.log"


def _partitions(tags: dict[str, str]) -> str:
    days = days_of_tags(tags)
    if days is None:
        return "-"
    return str(days[0]) if days[0] == days[1] else f"{days[0]} .. {days[1]}"


@dg.failure_hook(name="alert_on_failure")
def alert_on_failure(context: dg.HookContext) -> None:
    settings = Settings.from_env()
    run = context.instance.get_run_by_id(context.run_id)
    tags = dict(run.tags) if run else {}
    error = context.op_exception
    reason = f"{type(error).__name__}: {error}" if error else "see the run's log"
    alert = {
        "text": f"zhongcao ALERT: step {context.step_key} failed in run {context.run_id} "
        f"(job {context.job_name}, partitions {_partitions(tags)}): {reason}"[:4000],
        "run_id": context.run_id,
        "step": context.step_key,
        "job": context.job_name,
        "partitions": _partitions(tags),
        "trigger": tags.get("zhongcao/trigger", "manual"),
        "error": reason[:4000],
        "at": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    context.log.error(alert["text"])
    settings.home.mkdir(parents=True, exist_ok=True)
    with (settings.home / ALERTS_LOG).open("a", encoding="utf-8") as log:
        log.write(json.dumps(alert, ensure_ascii=False) + "\n")
    if settings.alert_webhook:
        request = urllib.request.Request(
            settings.alert_webhook,
            data=json.dumps(alert, ensure_ascii=False).encode(),
            headers={"Content-Type": "application/json"},
        )
        try:
            urllib.request.urlopen(request, timeout=10).close()
        except OSError as failure:  # an unreachable webhook must not hide the original failure
            context.log.warning(f"alert webhook {settings.alert_webhook} not reached: {failure}")
