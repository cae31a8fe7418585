"""The conference's reports: what the attendees answered, and how registrations arrived.

Figures come from ``eventreg.registration.reports`` (counted by the database, in a fixed
number of queries), drawn as SVG charts by ``eventreg.organizers.charts``, each with a
table of the same figures."""

from flask import render_template, request
from flask_babel import gettext as _
from flask_babel import ngettext

from eventreg.conferences.models import Conference
from eventreg.core.ids import row_id
from eventreg.core.translations import text_in
from eventreg.organizers import charts
from eventreg.organizers.auth import conference_view
from eventreg.organizers.blueprint import bp
from eventreg.registration import access, reports


def choice_label(value: object) -> str:
    if value is True:
        return str(_("Yes"))
    if value is False:
        return str(_("No"))
    return str(value)


@bp.get("/c/<slug>/reports")
@conference_view("organizer")
def reports_page(conference: Conference):
    categories = access.categories(conference.id)
    category_id = request.args.get("category", type=row_id)
    if category_id not in {category.id for category in categories}:
        category_id = None  # another conference's: everyone's answers
    summaries = reports.answer_summaries(conference, category_id)
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
    fills = reports.category_fill(conference)
    category_rows = [(_fill_label(fill), fill) for fill in fills]
    category_chart = None
    if fills:
        category_chart = charts.stacked_bar_chart(
            "categories-chart",
            _("Registrations per category"),
            "; ".join(
                _(
                    "%(name)s: %(confirmed)d confirmed, %(waiting)d waiting, %(pending)d "
                    "pending approval",
                    name=label,
                    confirmed=fill.confirmed,
                    waiting=fill.waiting,
                    pending=fill.pending,
                )
                for label, fill in category_rows
            ),
            [
                (label, (fill.confirmed, fill.waiting, fill.pending))
                for label, fill in category_rows
            ],
            (_("Confirmed"), _("Waiting"), _("Pending approval")),
        )
    return render_template(
        "organizers/reports.html",
        conference=conference,
        answer_charts=answer_charts,
        days=days,
        signup_chart=signup_chart,
        categories=categories,
        category_id=category_id,
        category_rows=category_rows,
        category_chart=category_chart,
        category_name=lambda category: str(text_in(category, "name")),
    )


def _fill_label(fill: reports.CategoryFill) -> str:
    if fill.category is None:
        return str(_("No category"))
    return str(text_in(fill.category, "name"))
