"""The organiser's page for their organisation's look: its logo and accent colour, shown on
its public pages and in its emails (organising/branding.py checks them)."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import format_decimal
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField
from wtforms import BooleanField, Field, StringField
from wtforms.validators import Length, ValidationError

from seminars.extensions import db
from seminars.organising import branding
from seminars.web.organizer.embedding import bp, manageable_organizations

REFUSALS = {
    "too_big": _l("The file is larger than %(max)s kB, the most a logo may be."),
    "too_many_pixels": _l("The image is too large: at most %(max)d pixels wide and high."),
    "not_an_image": _l("The file is not a PNG or SVG image."),
    "unsafe_svg": _l(
        "The SVG file contains something that is not allowed in a logo (%(what)s): scripts, "
        "links, animations or content from other places. Save it again as a plain drawing, "
        "or upload a PNG."
    ),
    "not_a_colour": _l("Write the colour as a hex code, for example #0b5394."),
    "low_contrast": _l(
        "The colour %(colour)s has a contrast of only %(ratio)s:1 against the white "
        "background, and text in it would be hard to read. It needs at least %(needed)s:1 "
        "(WCAG AA). Choose a darker colour."
    ),
}


def refusal_text(error: branding.BrandingRefused) -> str:
    values = dict(error.values)
    if "ratio" in values:
        values["ratio"] = format_decimal(values["ratio"], format="0.0")
        values["needed"] = format_decimal(values["needed"], format="0.0")
    if error.reason == "too_big":
        values["max"] = values["max"] // 1000
    return str(REFUSALS[error.reason]) % values


class BrandingForm(FlaskForm):
    logo = FileField(
        _l("Logo"),
        [FileAllowed(["png", "svg"], _l("Choose a PNG or SVG file."))],
        description=_l(
            "PNG or SVG, at most 200 kB. Emails show a PNG logo; most mail programs do not "
            "show SVG, so with an SVG logo they show the organisation's name."
        ),
    )
    remove_logo = BooleanField(_l("Remove the logo"))
    accent_color = StringField(
        _l("Accent colour"),
        [Length(max=20)],
        description=_l(
            "A hex code such as #0b5394, used for links, buttons and the header of emails. "
            "Leave it empty for the site's blue."
        ),
        render_kw={"autocomplete": "off", "spellcheck": "false"},
    )

    def validate_accent_color(self, field: Field) -> None:
        self.checked_colour = ""
        if not (field.data or "").strip():
            return
        try:
            self.checked_colour = branding.checked_accent(field.data)
        except branding.BrandingRefused as error:
            raise ValidationError(refusal_text(error)) from None

    def validate_logo(self, field: Field) -> None:
        self.checked_logo = None
        upload = field.data
        if not upload or not getattr(upload, "filename", ""):
            return
        try:
            self.checked_logo = branding.read_logo(
                upload.read(branding.MAX_LOGO_BYTES + 1), upload.filename
            )
        except branding.BrandingRefused as error:
            raise ValidationError(refusal_text(error)) from None


@bp.route("/<int:organization_id>/branding", methods=["GET", "POST"])
def branding_settings(organization_id: int):
    organizations = manageable_organizations()
    organization = next((o for o in organizations if o.id == organization_id), None)
    if organization is None:
        abort(404)
    form = BrandingForm(data={"accent_color": organization.accent_color})
    if form.validate_on_submit():
        if branding.set_branding(
            organization,
            current_user,
            accent_color=form.checked_colour,
            logo=form.checked_logo,
            remove_logo=form.remove_logo.data,
        ):
            db.session.commit()
        flash(_("The logo and colour are saved."), "success")
        return redirect(url_for(".branding_settings", organization_id=organization.id), 303)
    return render_template(
        "organisation/branding.html",
        organization=organization,
        organizations=organizations,
        form=form,
    ), (422 if form.errors else 200)
