"""The public site: conference pages, the schedule, registration with its private link, and
calendar feeds. Each module is one blueprint; its views call the domain services."""

from flask import Flask


def register_site(app: Flask) -> None:
    from eventreg.site.conferences import bp as conferences_bp
    from eventreg.site.feeds import bp as feeds_bp
    from eventreg.site.registration import bp as registration_bp
    from eventreg.site.schedule import bp as schedule_bp
    from eventreg.site.speaker_views import bp as speaker_portal_bp

    for blueprint in (conferences_bp, schedule_bp, registration_bp, feeds_bp, speaker_portal_bp):
        app.register_blueprint(blueprint)
