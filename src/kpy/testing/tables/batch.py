"""Tables of the ``batch`` group: jobs and cronjobs (printJob, printCronJob)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from kpy.testing.tables.common import (
    AGE,
    CONTAINERS,
    IMAGES,
    NAME,
    Column,
    Obj,
    Printer,
    as_dict,
    as_list,
    aware,
    dig,
    format_label_selector,
    human_duration,
    layout_container_cells,
    parse_time,
    to_int,
    translate_timestamp_since,
)

#: the condition types that name a Job's status, in the printer's order of precedence (Terminating, for a Job
#: being deleted, comes after Complete and Failed)
_FINAL = (("Complete", "Complete"), ("Failed", "Failed"))
_PENDING = (
    ("Suspended", "Suspended"),
    ("FailureTarget", "FailureTarget"),
    ("SuccessCriteriaMet", "SuccessCriteriaMet"),
)


def _condition_true(conditions: list[Any], kind: str) -> bool:
    """hasJobCondition: the first condition of that type decides."""
    for condition in conditions:
        if isinstance(condition, dict) and condition.get("type") == kind:
            return condition.get("status") == "True"
    return False


def job_status(job: Obj) -> str:
    conditions = as_list(dig(job, "status", "conditions"))
    for kind, text in _FINAL:
        if _condition_true(conditions, kind):
            return text
    if dig(job, "metadata", "deletionTimestamp"):
        return "Terminating"
    for kind, text in _PENDING:
        if _condition_true(conditions, kind):
            return text
    return "Running"


def job_row(job: Obj, now: datetime) -> tuple[list[Any], None]:
    spec = as_dict(job.get("spec"))
    status = as_dict(job.get("status"))
    succeeded = to_int(status.get("succeeded"))
    if spec.get("completions") is not None:
        completions = f"{succeeded}/{to_int(spec.get('completions'))}"
    elif to_int(spec.get("parallelism")) > 1:
        completions = f"{succeeded}/1 of {to_int(spec.get('parallelism'))}"
    else:
        completions = f"{succeeded}/1"
    started, finished = parse_time(status.get("startTime")), parse_time(status.get("completionTime"))
    duration = ""
    if started is not None:
        duration = human_duration((finished or aware(now)) - started)
    names, images = layout_container_cells(dig(spec, "template", "spec", "containers"))
    return [
        dig(job, "metadata", "name") or "",
        job_status(job),
        completions,
        duration,
        translate_timestamp_since(dig(job, "metadata", "creationTimestamp"), now),
        names,
        images,
        format_label_selector(spec.get("selector")),
    ], None


JOB_SELECTOR = Column("Selector", priority=1, description="Label selector of the job's pods.")
JOB_COLUMNS = [
    NAME,
    Column("Status", description="Status of the job."),
    Column("Completions", description="Pods that succeeded, of the completions wanted (status.succeeded)."),
    Column("Duration", description="Time required to complete the job."),
    AGE,
    CONTAINERS,
    IMAGES,
    JOB_SELECTOR,
]


def _bool_ptr(value: Any) -> str:
    """printBoolPtr: "<unset>" for nil, else Go's %t capitalised."""
    if value is None:
        return "<unset>"
    return "True" if value is True else "False"


def cronjob_row(cj: Obj, now: datetime) -> tuple[list[Any], None]:
    spec = as_dict(cj.get("spec"))
    status = as_dict(cj.get("status"))
    last = status.get("lastScheduleTime")
    job_spec = as_dict(dig(spec, "jobTemplate", "spec"))
    names, images = layout_container_cells(dig(job_spec, "template", "spec", "containers"))
    return [
        dig(cj, "metadata", "name") or "",
        str(spec.get("schedule") or ""),
        str(spec["timeZone"]) if spec.get("timeZone") is not None else "<none>",
        _bool_ptr(spec.get("suspend")),
        len(as_list(status.get("active"))),
        translate_timestamp_since(last, now) if last else "<none>",
        translate_timestamp_since(dig(cj, "metadata", "creationTimestamp"), now),
        names,
        images,
        format_label_selector(job_spec.get("selector")),
    ], None


CRONJOB_COLUMNS = [
    NAME,
    Column("Schedule", description="The schedule in cron format (spec.schedule)."),
    Column("Timezone", description="The time zone of the schedule (spec.timeZone)."),
    Column("Suspend", type="boolean", description="Whether later runs are suspended (spec.suspend)."),
    Column("Active", type="integer", description="Jobs running now (status.active)."),
    Column("Last Schedule", description="When a job was last scheduled (status.lastScheduleTime)."),
    AGE,
    CONTAINERS,
    IMAGES,
    JOB_SELECTOR,
]


PRINTERS: dict[tuple[str, str], Printer] = {
    ("batch", "cronjobs"): (CRONJOB_COLUMNS, cronjob_row),
    ("batch", "jobs"): (JOB_COLUMNS, job_row),
}
