"""Forms of administration: organisations, accounts with their roles, invitations, and
single sign-on providers with their domains."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import BooleanField, IntegerField, PasswordField, RadioField, SelectField, StringField
from wtforms.validators import (
    DataRequired,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    Regexp,
    ValidationError,
)

from seminars.accounts.organizers import OrganizationDetails, last_used_organization_id
from seminars.accounts.sso import ProviderDetails
from seminars.extensions import db
from seminars.models import Organization, Organizer, Role, Seminar, utcnow
from seminars.organising import access
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
    require_second_factor = BooleanField(
        _l("Require a second factor"),
        description=_l(
            "Everyone of the organisation then signs in with an authenticator app or a "
            "passkey as well as their password (or through single sign-on). They are led "
            "through setting one up at their next login."
        ),
    )

    def details(self) -> OrganizationDetails:
        return OrganizationDetails(
            name=self.name.data,
            slug=self.slug.data or "",
            contact_email=self.contact_email.data or "",
            website=self.website.data or "",
            retention_days=self.retention_days.data,
            require_second_factor=self.require_second_factor.data,
        )


ROLE_LABELS = {
    Role.ADMIN: _l("Administrator of the organisation"),
    Role.ORGANISER: _l("Organiser"),
    Role.DOOR_HELPER: _l("Door helper (check-in only)"),
}


def _role_choices():
    return [("", _l("No access")), *((str(role), label) for role, label in ROLE_LABELS.items())]


class OrganizerForm(FlaskForm):
    """An account: its details, and a role in each organisation the administrator manages
    (fields `role_<organisation id>`), and a door helper's seminars."""

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
    is_admin = BooleanField(_l("Site administrator (sees and manages everything)"))
    active = BooleanField(_l("Active (may log in)"), default=True)
    password = new_password_field(_l("Temporary password"))
    door_seminar_ids = MultiCheckboxField(
        _l("Seminars they check people in for"),
        coerce=int,
        description=_l("Only for door helpers: the check-in lists they may use."),
    )

    @classmethod
    def for_admin(
        cls, admin: Organizer, organizer: Organizer | None = None, **kwargs
    ) -> OrganizerForm:
        """The form for `admin`, with a role field for each organisation they manage."""
        within = access.administered_organization_ids(admin)
        statement = select(Organization).order_by(Organization.name)
        if within is not None:
            statement = statement.where(Organization.id.in_(within))
        organizations = list(db.session.scalars(statement))
        current = access.roles(organizer) if organizer is not None else {}

        class Form(cls):
            pass

        for organization in organizations:
            setattr(
                Form,
                f"role_{organization.id}",
                SelectField(
                    organization.name,
                    choices=_role_choices(),
                    default=str(current.get(organization.id, "")),
                ),
            )
        if organizer is not None:
            kwargs.setdefault("obj", organizer)
            kwargs.setdefault("door_seminar_ids", [s.id for s in organizer.door_seminars])
        form = Form(**kwargs)
        form.organizations = organizations
        if organizer is not None:
            # An existing account keeps its password; resetting it goes by email.
            del form.password
        if not admin.is_admin:
            del form.is_admin
        form.door_seminar_ids.choices = [
            (seminar.id, seminar.title) for seminar in _door_choices(organizations)
        ]
        return form

    def role_fields(self):
        return [(o, self[f"role_{o.id}"]) for o in self.organizations]

    def memberships(self) -> dict[int, Role | None]:
        return {
            organization.id: Role(field.data) if field.data else None
            for organization, field in self.role_fields()
        }

    def door_seminar_choices(self) -> set[int]:
        """Seminars of the organisations where the account is to be a door helper."""
        helping = {oid for oid, role in self.memberships().items() if role == Role.DOOR_HELPER}
        return {
            seminar.id
            for seminar in _door_choices(self.organizations)
            if seminar.organization_id in helping
        }


def _door_choices(organizations: list[Organization]) -> list[Seminar]:
    """Seminars a door helper could be given: those not yet over, of these organisations."""
    if not organizations:
        return []
    return list(
        db.session.scalars(
            select(Seminar)
            .where(
                Seminar.organization_id.in_([o.id for o in organizations]),
                Seminar.ends_at > utcnow(),
            )
            .order_by(Seminar.starts_at)
        )
    )


class InviteForm(FlaskForm):
    name = StringField(
        _l("Name"),
        [DataRequired(_l("Enter a name.")), Length(max=200), no_control_characters],
        filters=[one_line],
    )
    email = StringField(
        _l("Email"),
        [DataRequired(_l("Enter an email address.")), Length(max=254), valid_email],
        filters=[one_line],
        description=_l("The invitation goes here. The link works once, for 7 days."),
    )
    organization_id = SelectField(_l("Organisation"), coerce=int)
    role = RadioField(
        _l("Role"),
        choices=[(str(role), label) for role, label in ROLE_LABELS.items()],
        default=str(Role.ORGANISER),
    )

    @classmethod
    def for_admin(cls, admin: Organizer, **kwargs) -> InviteForm:
        form = cls(**kwargs)
        within = access.administered_organization_ids(admin)
        statement = select(Organization).order_by(Organization.name)
        if within is not None:
            statement = statement.where(Organization.id.in_(within))
        form.organization_id.choices = [(o.id, o.name) for o in db.session.scalars(statement)]
        if not form.is_submitted():
            form.organization_id.data = last_used_organization_id(admin)
        return form


def _issuer_url(form, field) -> None:
    """https://, except on this machine (a provider run for development or tests)."""
    value = field.data or ""
    local = value.startswith(("http://127.0.0.1", "http://localhost"))
    if not (value.startswith("https://") or local) or any(c.isspace() for c in value):
        raise ValidationError(_l("Enter the issuer's address, starting with https://."))


class SsoProviderForm(FlaskForm):
    name = StringField(
        _l("Name shown on the login button"),
        [DataRequired(_l("Enter a name.")), Length(max=100), no_control_characters],
        filters=[one_line],
        description=_l("“Log in with …”, for example Malmö universitet or SWAMID."),
    )
    issuer = StringField(
        _l("Issuer"),
        [DataRequired(_l("Enter the issuer's address.")), Length(max=300), _issuer_url],
        filters=[one_line],
        description=_l(
            "The provider's address; its settings are read from "
            "/.well-known/openid-configuration there."
        ),
    )
    client_id = StringField(
        _l("Client ID"),
        [DataRequired(_l("Enter the client ID.")), Length(max=200), no_control_characters],
        filters=[one_line],
    )
    client_secret = PasswordField(
        _l("Client secret"),
        [Length(max=500)],
        render_kw={"autocomplete": "off"},
    )
    enabled = BooleanField(_l("Shown on the login page"), default=True)

    def details(self) -> ProviderDetails:
        return ProviderDetails(
            name=self.name.data,
            issuer=self.issuer.data,
            client_id=self.client_id.data,
            client_secret=self.client_secret.data or None,
            enabled=self.enabled.data,
        )


class SsoDomainForm(FlaskForm):
    domain = StringField(
        _l("Email domain"),
        [
            DataRequired(_l("Enter a domain, like mau.se.")),
            Length(max=253),
            Regexp(
                r"^@?[a-zA-Z0-9-]+(\.[a-zA-Z0-9-]+)+$",
                message=_l("Enter a domain, like mau.se."),
            ),
        ],
        filters=[one_line],
    )
    organization_id = SelectField(_l("Organisation"), coerce=int)
    approval_required = RadioField(
        _l("New people of this domain"),
        choices=[
            ("no", _l("become organisers at their first login")),
            ("yes", _l("wait until an administrator approves them")),
        ],
        default="no",
    )

    @classmethod
    def with_choices(cls, **kwargs) -> SsoDomainForm:
        form = cls(**kwargs)
        form.organization_id.choices = [
            (o.id, o.name)
            for o in db.session.scalars(select(Organization).order_by(Organization.name))
        ]
        return form
