"""Calendar invites and feeds: iCalendar objects for e-mails, downloads and subscriptions."""
