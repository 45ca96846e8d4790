"""Organiser accounts and how people sign in: organisations and organisers (`organizers`),
second factors (`factors`: authenticator app, recovery codes; `passkeys`), single sign-on
(`sso`), server-side sessions (`sessions`), invitations (`invites`), secrets sealed at rest
(`sealing`) and each account's own log (`log`). Roles and who may see what: `organising.access`."""
