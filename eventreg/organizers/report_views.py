"""The conference's reports: what the attendees answered, and how registrations arrived.

Figures come from ``eventreg.registration.reports`` (counted by the database, in a fixed
number of queries), drawn as SVG charts by ``eventreg.organizers.charts``, each with a
table of the same figures."""

from flask import render_template
from flask_babel import gettext as _
from flask_babel import ngettext

from eventreg.conferences.models import Conference
from eventreg.organizers import charts
from eventreg.organizers.auth import conference_view
from eventreg.organizers.blueprint import bp
from eventreg.registration import reports


def choice_label(value: object) -> str:
    if value is True:
        return str(_("Yes"))
    if value is False:
        return str(_("No"))
    return str(value)


@bp.get("/c/<slug>/reports")
@conference_view("organizer")
def reports_page(conference: Conference):
    summaries = reports.answer_summaries(conference)
    days = reports.signups_over_time(conference)
    answer_charts = []
    for summary in summaries:
        bars = [(choice_label(choice), count) for choice, count in summary.counts]
        description = "; ".join(f"{label}: {count}" for label, count in bars)
        answer_charts.append(
            (
                summary,
                bars,
                charts.bar_chart(
                    f"question-{summary.question.id}-chart",
                    summary.question.label,
                    ngettext(
                        "%(num)d registration answered. %(figures)s",
                        "%(num)d registrations answered. %(figures)s",
                        summary.answered,
                        figures=description,
                    ),
                    bars,
                ),
            )
        )
    signup_chart = None
    if days:
        last = days[-1]
        signup_chart = charts.cumulative_chart(
            "signups-chart",
            _("Registrations over time"),
            _(
                "From %(first)s to %(last)s: %(confirmed)d now hold a seat, %(waiting)d are "
                "waiting.",
                first=days[0].day.isoformat(),
                last=last.day.isoformat(),
                confirmed=last.confirmed,
                waiting=last.waiting,
            ),
            [(day.day, day.confirmed, day.waiting) for day in days],
            (_("Confirmed"), _("Waiting")),
        )
    return render_template(
        "organizers/reports.html",
        conference=conference,
        answer_charts=answer_charts,
        days=days,
        signup_chart=signup_chart,
    )
