"""Email: queued as outbox rows in the transaction that causes them (`queue`), rendered
(`render`) and built (`message`) by the worker, delivered with claim → send → mark
(`delivery`); reminders become outbox rows when due (`reminders`); `devmail` is the local
SMTP server of `make run`."""
