"""Machine-readable access to conferences: the public JSON API, the organizer API and the
frab schedule export."""


def register_api(app) -> None:
    from eventreg.api.frab_views import bp as frab_bp
    from eventreg.api.organizer import bp as organizer_bp
    from eventreg.api.public import bp as public_bp

    app.register_blueprint(frab_bp)
    app.register_blueprint(public_bp)
    app.register_blueprint(organizer_bp)
