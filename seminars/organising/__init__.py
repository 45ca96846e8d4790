"""Domain of the organiser's work: the editor, the attendee list (roster), importing,
announcements, the audit log, data retention (purge), accounts, the dashboard and who may
see what (access)."""
