"""The organisation's own systems: the JSON API's tokens and resources, and webhooks.

- tokens.py      API tokens: created shown once, stored hashed, revoked; scopes
- resources.py   a seminar and a registration as the API and webhooks show them
- registrations.py  what an API token does to registrations (through `signup.sign_up`)
- schemas.py     those models
- webhooks.py    endpoints, and events queued in the transaction of the change
- deliveries.py  the worker's part: signed POSTs with back-off, disabling dead endpoints

The blueprint that serves the API, and its OpenAPI description, are in seminars/web/api/.
"""
