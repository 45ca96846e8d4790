"""What leaves the app as files: attendee lists (CSV, XLSX, print, badges, catering) and
calendars (.ics). No Flask imports: callers pass a session and a translate function."""
