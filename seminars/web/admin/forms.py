"""Forms of site administration: organisations and organiser accounts."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import BooleanField, IntegerField, StringField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, Regexp

from seminars.extensions import db
from seminars.models import Organization, Organizer
from seminars.organising.accounts import OrganizationDetails
from seminars.slugs import SLUG_PATTERN
from seminars.web.fields import (
    MultiCheckboxField,
    new_password_field,
    no_control_characters,
    one_line,
    valid_email,
)


class OrganizationForm(FlaskForm):
    name = StringField(
        _l("Name"),
        [
            DataRequired(_l("Enter the organisation's name.")),
            Length(max=200),
            no_control_characters,
        ],
        filters=[one_line],
    )
    slug = StringField(
        _l("Short name in addresses"),
        [
            Optional(),
            Length(max=80),
            Regexp(
                SLUG_PATTERN,
                message=_l("Use lower-case letters a–z, digits and hyphens, like my-seminar-2026."),
            ),
        ],
        filters=[one_line],
        description=_l("Empty: made from the name."),
    )
    contact_email = StringField(
        _l("Contact email"), [Optional(), Length(max=254), valid_email], filters=[one_line]
    )
    website = StringField(
        _l("Website"),
        [
            Optional(),
            Length(max=300),
            Regexp(r"^https?://\S+$", message=_l("Enter an address starting with https://.")),
        ],
        filters=[one_line],
    )
    retention_days = IntegerField(
        _l("Days to keep attendee data after a seminar"),
        [
            InputRequired(_l("Enter a number of days.")),
            NumberRange(min=1, max=3650, message=_l("Enter a number from 1 to 3650.")),
        ],
        default=90,
    )

    def details(self) -> OrganizationDetails:
        return OrganizationDetails(
            name=self.name.data,
            slug=self.slug.data or "",
            contact_email=self.contact_email.data or "",
            website=self.website.data or "",
            retention_days=self.retention_days.data,
        )


class OrganizerForm(FlaskForm):
    name = StringField(
        _l("Name"),
        [DataRequired(_l("Enter a name.")), Length(max=200), no_control_characters],
        filters=[one_line],
    )
    email = StringField(
        _l("Email"),
        [DataRequired(_l("Enter an email address.")), Length(max=254), valid_email],
        filters=[one_line],
    )
    organization_ids = MultiCheckboxField(_l("Organisations"), coerce=int)
    is_admin = BooleanField(_l("Site administrator (sees and manages everything)"))
    active = BooleanField(_l("Active (may log in)"), default=True)
    password = new_password_field(_l("Temporary password"))

    @classmethod
    def for_admin(cls, organizer: Organizer | None = None, **kwargs) -> OrganizerForm:
        if organizer is not None:
            kwargs.setdefault("obj", organizer)
            kwargs.setdefault("organization_ids", [o.id for o in organizer.organizations])
        form = cls(**kwargs)
        if organizer is not None:
            # An existing account keeps its password; resetting it goes by email.
            del form.password
        form.organization_ids.choices = [
            (o.id, o.name)
            for o in db.session.scalars(select(Organization).order_by(Organization.name))
        ]
        return form

    def chosen_organizations(self) -> list[Organization]:
        ids = self.organization_ids.data or []
        if not ids:
            return []
        return list(db.session.scalars(select(Organization).where(Organization.id.in_(ids))))
