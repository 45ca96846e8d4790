"""Site administration: organisations and organiser accounts (site admins only)."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from seminars.extensions import db
from seminars.models import Organization, Organizer
from seminars.organising import accounts
from seminars.slugs import SlugTaken
from seminars.web.admin.forms import OrganizationForm, OrganizerForm

bp = Blueprint("admin", __name__, url_prefix="/organizer/admin")


@bp.before_request
@login_required
def require_admin() -> None:
    if not current_user.is_admin:
        abort(403)


def _status() -> int:
    return 422 if request.method == "POST" else 200


@bp.get("/")
def index():
    organizations = db.session.scalars(select(Organization).order_by(Organization.name)).all()
    organizers = db.session.scalars(
        select(Organizer).options(selectinload(Organizer.organizations)).order_by(Organizer.name)
    ).all()
    return render_template("admin/index.html", organizations=organizations, organizers=organizers)


def _organization_page(form: OrganizationForm, organization: Organization | None):
    if form.validate_on_submit():
        try:
            accounts.save_organization(form.details(), organization)
        except SlugTaken:
            db.session.rollback()
            form.slug.errors.append(_("Another organisation already uses this short name."))
        else:
            db.session.commit()
            flash(_("The organisation is saved."), "success")
            return redirect(url_for("admin.index"), 303)
    return (
        render_template("admin/organization.html", form=form, organization=organization),
        _status(),
    )


@bp.route("/organizations/new", methods=["GET", "POST"])
def new_organization():
    return _organization_page(OrganizationForm(), None)


@bp.route("/organizations/<int:organization_id>", methods=["GET", "POST"])
def edit_organization(organization_id: int):
    organization = db.get_or_404(Organization, organization_id)
    return _organization_page(OrganizationForm(obj=organization), organization)


@bp.route("/organizers/new", methods=["GET", "POST"])
def new_organizer():
    form = OrganizerForm.for_admin()
    if form.validate_on_submit():
        try:
            accounts.create_organizer(
                email=form.email.data,
                name=form.name.data,
                password=form.password.data,
                organizations=form.chosen_organizations(),
                is_admin=form.is_admin.data,
            )
        except accounts.EmailTaken:
            db.session.rollback()
            form.email.errors.append(_("An account with this email address already exists."))
        else:
            db.session.commit()
            flash(
                _("The account is created. Give them the temporary password in person."),
                "success",
            )
            return redirect(url_for("admin.index"), 303)
    return render_template("admin/organizer.html", form=form, account=None), _status()


@bp.route("/organizers/<int:organizer_id>", methods=["GET", "POST"])
def edit_organizer(organizer_id: int):
    account = db.get_or_404(Organizer, organizer_id)
    form = OrganizerForm.for_admin(account)
    if form.validate_on_submit():
        try:
            accounts.update_organizer(
                account,
                email=form.email.data,
                name=form.name.data,
                organizations=form.chosen_organizations(),
                is_admin=form.is_admin.data,
                active=form.active.data,
                changed_by=current_user._get_current_object(),
            )
        except accounts.EmailTaken:
            db.session.rollback()
            form.email.errors.append(_("An account with this email address already exists."))
        except accounts.OwnAccessRemoved:
            db.session.rollback()
            form.is_admin.errors.append(
                _("You cannot remove your own administrator access or deactivate yourself.")
            )
        else:
            db.session.commit()
            flash(_("The account is saved."), "success")
            return redirect(url_for("admin.index"), 303)
    return render_template("admin/organizer.html", form=form, account=account), _status()
