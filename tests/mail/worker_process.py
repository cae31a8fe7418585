"""A delivery worker in its own process, for tests that kill workers or run several at once.

    python -m tests.mail.worker_process DATABASE_URL SMTP_PORT LEASE_SECONDS

Runs one ``deliver_due()`` pass against the SMTP server on 127.0.0.1 and prints the report.
"""

import sys

from eventreg import create_app
from eventreg.mail.delivery import deliver_due


def main(database_url: str, smtp_port: str, lease_seconds: str) -> None:
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": database_url,
            "SECRET_KEY": "test-secret",
            "MAIL_SERVER": "127.0.0.1",
            "MAIL_PORT": int(smtp_port),
            "MAIL_LEASE_SECONDS": float(lease_seconds),
            "MAIL_BATCH_SIZE": 5,
            "MAIL_DELIVER_IN_BACKGROUND": False,
        }
    )
    with app.app_context():
        report = deliver_due()
    print(f"sent={report.sent} retrying={report.retrying} failed={report.failed}", flush=True)


if __name__ == "__main__":
    main(*sys.argv[1:4])
