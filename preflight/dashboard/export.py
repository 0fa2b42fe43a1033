"""CSV export of the dashboard: every participant (under the current filters) with status and latest values."""

from __future__ import annotations

import csv
import io

from flask import Response, request

from .. import audit
from ..auth import role_required
from ..db import get_session
from ..models import CHECKS
from ..results import describe
from ..results.values import metrics
from ..spreadsheet import safe_cell
from . import bp
from .status import Filters, page
from .views import STAFF, get_event

EXPORT_PAGE = 1000


def _values_text(values) -> str:
    """The judged figures (``metrics``) as ``name=value; ...``; the raw payload stays in the API."""
    return "; ".join(
        f"{k}={v}" for k, v in metrics(values).items() if v is not None and not isinstance(v, (dict, list))
    )[:1000]


@bp.get("/dashboard.csv")
@role_required(*STAFF)
def export_csv(event_id: int):
    """UTF-8 CSV (with BOM for Excel), read page by page so memory stays flat."""
    event = get_event(event_id)
    filters = Filters.from_args(request.args)
    session = get_session()
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out)
    header = ["name", "email", "role", "language", "status", "handled", "last_run_at", "browser", "os"]
    for check in CHECKS:
        header += [f"{check}_verdict", f"{check}_reason", f"{check}_values"]
    header.append("summary")  # last, so the existing columns keep their places
    writer.writerow(header)
    number = 1
    while True:
        filters.page = number
        chunk = page(session, event.id, filters, page_size=EXPORT_PAGE)
        for row in chunk.rows:
            p, run = row.participant, row.run
            line = [
                safe_cell(p.name),
                safe_cell(p.email),
                p.role,
                p.language,
                row.status,
                "yes" if row.handled else "",
                run.updated_at.isoformat() if run else "",
                safe_cell(f"{run.browser_family} {run.browser_version}".strip()) if run else "",
                safe_cell(f"{run.os_family} {run.os_version}".strip()) if run else "",
            ]
            by_check = {r.check: r for r in row.results}
            for check in CHECKS:
                result = by_check.get(check)
                line += (
                    [result.verdict, result.reason, safe_cell(_values_text(result.values))] if result else ["", "", ""]
                )
            line.append(safe_cell(" · ".join(describe.line(r.check, r.values, r.reason) for r in row.results)))
            writer.writerow(line)
        if chunk.page >= chunk.pages:
            break
        number += 1
    audit.record("dashboard.export", "event", event.id, "readiness CSV")
    filename = f"preflight-event-{event.id}-readiness.csv"
    return Response(
        out.getvalue(), mimetype="text/csv", headers={"Content-Disposition": f'attachment; filename="{filename}"'}
    )
