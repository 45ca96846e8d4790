"""The signup domain: signing up, the waiting list, cancelling and changing a registration.

`sign_up` (registering.py) is the one way into a signup, for every caller; it returns a
`SignupOutcome`. The other functions take plain values or loaded registrations, flush,
queue the emails the change causes and raise domain errors; the caller commits once, so
the change and its emails land together or not at all.

- registering.py   sign_up, Attendee, Outcome, SignupOutcome
- statements.py    the signup's prebuilt SQL
- seats.py         the seminar's row lock, taking and freeing a seat
- waiting_list.py  places in line, moving people up
- modes.py         a hybrid seminar's on-site and online seats, switching between them
- changes.py       cancel, change answers or the address, anonymise, delete own data
- tokens.py        the manage link's token
"""

from seminars.signup.changes import (
    AddressTaken,
    anonymise,
    cancel,
    change_answers,
    change_email,
    delete_own_data,
)
from seminars.signup.modes import Switch, switch_mode
from seminars.signup.registering import Attendee, Outcome, SignupOutcome, sign_up
from seminars.signup.seats import lock_seminar
from seminars.signup.tokens import manage_token, registration_for_token
from seminars.signup.waiting_list import (
    SeminarFull,
    confirm_waiting,
    promote_from_waiting_list,
    waiting_position,
)

__all__ = [
    "AddressTaken",
    "Attendee",
    "Outcome",
    "SeminarFull",
    "SignupOutcome",
    "Switch",
    "anonymise",
    "cancel",
    "change_answers",
    "change_email",
    "confirm_waiting",
    "delete_own_data",
    "lock_seminar",
    "manage_token",
    "promote_from_waiting_list",
    "registration_for_token",
    "sign_up",
    "switch_mode",
    "waiting_position",
]
