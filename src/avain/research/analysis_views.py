"""The cost-effectiveness report of a study (web page and PDF) and the monitoring pages.

Neither takes a client id or names a client: the report shows arm-level statistics, the monitoring pages counts
and sums with small counts suppressed (``monitoring.py``)."""

from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

from avain.core import clock
from avain.evaluation import plots
from avain.evaluation.cea import display_round
from avain.organisations.access import staff_required
from avain.organisations.models import Role
from avain.planning.decision_document import render_pdf

from . import analysis, monitoring, selectors
from .models import Arm, StudyStatus


def _wtp(request) -> int:
    """The willingness to pay chosen on the page (whole euros per point), or the default when absent or out of
    range: a bad value in the address should not break the report."""
    try:
        value = int(request.GET.get("wtp", analysis.DEFAULT_WTP))
    except (TypeError, ValueError):
        return analysis.DEFAULT_WTP
    return value if 0 <= value <= analysis.MAX_WTP else analysis.DEFAULT_WTP


def _report_context(study, wtp: int) -> dict:
    """What the page and the PDF show, with every number already formatted, so both read the same."""
    result = analysis.analyse_study(study, wtp=wtp)
    arms = [
        {"label": Arm(Arm.HB).label, "summary": result.hb},
        {"label": Arm(Arm.CONTROL).label, "summary": result.control},
    ]
    for arm in arms:
        summary = arm["summary"]
        arm["mean_cost"] = display_round(summary.mean_cost)
        arm["mean_effect"] = display_round(summary.mean_effect)
    context = {
        "study": study,
        "analysis": result,
        "arms": arms,
        "too_few": [Arm(arm).label for arm in result.too_few],
        "wtp": wtp,
        "max_wtp": analysis.MAX_WTP,
        "grid_max": analysis.WTP_GRID_MAX,
    }
    if result.result is None:
        return context
    point, boot = result.result.incremental, result.result.bootstrap
    nmb_low, nmb_high = result.nmb_interval
    context.update(
        {
            "delta_cost": display_round(point.delta_cost),
            "delta_effect": display_round(point.delta_effect),
            "icer": display_round(point.icer) if point.icer is not None else None,
            "quadrant": result.quadrant_label,
            "cost_interval": (display_round(boot.cost_interval.low), display_round(boot.cost_interval.high)),
            "effect_interval": (display_round(boot.effect_interval.low), display_round(boot.effect_interval.high)),
            "nmb": display_round(result.nmb),
            "nmb_interval": (display_round(nmb_low), display_round(nmb_high)),
            "probability": f"{result.probability_cost_effective:.1%}",
            "level": f"{boot.level:.0%}",
            "plane_svg": mark_safe(plots.ce_plane_svg(boot, point, wtp=float(wtp))),  # built from numbers, escaped
            "ceac_svg": mark_safe(plots.ceac_svg(boot)),
            "quadrant_shares": [
                {"label": analysis.QUADRANT_LABELS[where], "share": f"{share:.1%}"}
                for where, share in boot.quadrant_shares.items()
            ],
            "ceac_rows": [
                {
                    "wtp": display_round(row["wtp"], 0),
                    "nmb": display_round(row["nmb"]),
                    "low": display_round(row["nmb_low"]),
                    "high": display_round(row["nmb_high"]),
                    "probability": f"{row['probability_cost_effective']:.1%}",
                    "chosen": row["wtp"] == float(wtp),
                }
                for row in plots.ceac_rows(boot, point)
            ],
        }
    )
    return context


def _analysable_study(request, study_id: int):
    study = selectors.study_for(request.staff, study_id)
    if study.status == StudyStatus.ENROLLING:
        raise Http404  # the arms are hidden until enrolment is final
    return study


@staff_required(Role.RESEARCHER, Role.ORGANISER_ADMIN)
def study_analysis(request, study_id: int):
    study = _analysable_study(request, study_id)
    return render(request, "research/analysis.html", _report_context(study, _wtp(request)))


@staff_required(Role.RESEARCHER, Role.ORGANISER_ADMIN)
def study_analysis_pdf(request, study_id: int):
    """The same report as a PDF, rendered anew on every download so a withdrawn consent is never in it."""
    study = _analysable_study(request, study_id)
    context = _report_context(study, _wtp(request))
    context["printed_on"] = clock.today()
    html = render_to_string("research/analysis_pdf.html", context, request=request)
    response = HttpResponse(render_pdf(html), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="analysis-{study.code}-{clock.today().isoformat()}.pdf"'
    response["Cache-Control"] = "no-store"
    return response


@staff_required(Role.ORGANISER_ADMIN)
def organiser_monitoring(request):
    organiser = request.staff.organiser
    return render(
        request,
        "research/monitoring.html",
        {
            "heading": _("Monitoring: %(organiser)s") % {"organiser": organiser.name},
            "report": monitoring.organiser_report(organiser),
        },
    )


@staff_required(Role.RESEARCHER)
def study_monitoring(request, study_id: int):
    study = selectors.study_for(request.staff, study_id)
    return render(
        request,
        "research/monitoring.html",
        {
            "heading": _("Monitoring across the organisers of %(study)s") % {"study": study.name},
            "study": study,
            "report": monitoring.study_report(study),
        },
    )
