"""Email, from the change that causes it to the attendee's inbox.

`queue`: outbox rows, written in the transaction that causes them. `render` turns a row into
an `Email` from its `context` (what the templates see), `body` (text and HTML) and
`attachments` (calendar file, check-in QR code); `message` builds the MIME message and
`smtp` sends it; `delivery` runs claim → send → mark under a renewed lease; `bounces` marks
addresses that do not work (permanent refusals, bounces read over IMAP); `reminders` queues
what has become due; `devmail` is the local SMTP server of `make run`."""
