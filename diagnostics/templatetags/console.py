"""The staff console's front page, drawn into the admin index by ``{% console_overview %}``."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django import template
from django.urls import reverse

from cardoc.charts import PALETTE, Segment, bar_chart, stacked_bar
from diagnostics.models import DiagnosticStatus, Urgency
from diagnostics.overview import NO_RESULT, console_overview

register = template.Library()

STATUS_COLOURS = {
    DiagnosticStatus.PENDING: "#c7a13a",
    DiagnosticStatus.IN_PROGRESS: "#417690",
    DiagnosticStatus.COMPLETED: "#5b9a5b",
    DiagnosticStatus.FAILED: "#b8474a",
}
URGENCY_COLOURS = {
    Urgency.IMMEDIATE: "#b8474a",
    Urgency.SOON: "#e0823d",
    Urgency.MONITORING: "#5b9a5b",
    NO_RESULT: "#9a9a9a",
}


@register.inclusion_tag("admin/console/overview.html", takes_context=True)
def console_overview_panel(context: template.Context) -> dict[str, Any]:
    """Figures for the staff who may see them: diagnostics' viewers get the day, model viewers the models."""
    user = context["request"].user
    if not user.has_perm("diagnostics.view_diagnosticrecord"):
        return {"visible": False}
    overview = console_overview(with_models=user.has_perm("mlops.view_mlmodel"))
    status_names = dict(DiagnosticStatus.choices)
    urgency_names = {**dict(Urgency.choices), NO_RESULT: "No result"}
    changelist = reverse("admin:diagnostics_diagnosticrecord_changelist")
    # An aware moment, as the admin's own date filter writes it; a bare date would be read as naive.
    since = {"created_at__gte": str(overview.day)}
    return {
        "visible": True,
        "overview": overview,
        "status_chart": stacked_bar(
            [Segment(status_names[s], n, STATUS_COLOURS.get(s, PALETTE[-1])) for s, n in overview.by_status.items()],
            label="Today's diagnostics by status",
        ),
        "urgency_chart": stacked_bar(
            [Segment(urgency_names[u], n, URGENCY_COLOURS.get(u, PALETTE[-1])) for u, n in overview.by_urgency.items()],
            label="Today's diagnostics by urgency",
        ),
        "findings_chart": bar_chart(
            [(f"{f.name} ({f.code})", f.count) for f in overview.findings],
            label="Top findings of the last 7 days",
            width=560,
        ),
        "findings": [
            {
                "finding": f,
                "url": reverse(
                    f"admin:catalog_{'warninglight' if f.kind == 'light' else 'enginesound'}_change",
                    args=[f.entry_id],
                ),
            }
            for f in overview.findings
        ],
        "models": [
            {"figures": m, "url": reverse("admin:mlops_mlmodel_change", args=[m.model.pk])} for m in overview.models
        ],
        "show_models": user.has_perm("mlops.view_mlmodel"),
        "today_url": f"{changelist}?{urlencode(since)}",
        "failed_url": f"{changelist}?{urlencode({'status__exact': DiagnosticStatus.FAILED, **since})}",
    }
