"""Administration: organisations and their settings, accounts with their roles, invitations
and approvals. A site admin manages everything; an organisation's admin manages that
organisation and the accounts in it. Single sign-on providers are in `sso.py`."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from seminars.accounts import factors, invites, organizers, sso
from seminars.accounts import log as account_log
from seminars.extensions import db
from seminars.models import Organization, Organizer, Role, organizer_memberships
from seminars.organising import access
from seminars.slugs import SlugTaken
from seminars.web.admin.forms import ROLE_LABELS, InviteForm, OrganizationForm, OrganizerForm
from seminars.web.fields import ConfirmForm
from seminars.web.i18n import current_language

bp = Blueprint("admin", __name__, url_prefix="/organizer/admin")


@bp.before_request
@login_required
def require_admin() -> None:
    if not access.administers_any(current_user):
        abort(403)


def me() -> Organizer:
    return current_user._get_current_object()


def _status() -> int:
    return 422 if request.method == "POST" else 200


def _require_site_admin() -> None:
    if not current_user.is_admin:
        abort(403)


def _account_or_403(organizer_id: int) -> Organizer:
    account = db.get_or_404(Organizer, organizer_id)
    if not access.may_administer_account(me(), account):
        abort(403)
    return account


@bp.get("/")
def index():
    within = access.administered_organization_ids(me())
    organizations = select(Organization).order_by(Organization.name)
    organizers = (
        select(Organizer).where(Organizer.approval_pending.is_(False)).order_by(Organizer.name)
    )
    if within is not None:
        organizations = organizations.where(Organization.id.in_(within))
        members = select(organizer_memberships.c.organizer_id).where(
            organizer_memberships.c.organization_id.in_(within)
        )
        organizers = organizers.where(Organizer.id.in_(members))
    accounts_shown = db.session.scalars(organizers).all()
    return render_template(
        "admin/index.html",
        organizations=db.session.scalars(organizations).all(),
        organizers=accounts_shown,
        memberships=access.memberships_of([account.id for account in accounts_shown]),
        waiting=sso.waiting_for_approval(within),
        invitations=invites.pending(within),
        providers=sso.all_providers() if within is None else [],
        role_labels=ROLE_LABELS,
        action_form=ConfirmForm(),
    )


def _organization_page(form: OrganizationForm, organization: Organization | None):
    if form.validate_on_submit():
        try:
            organizers.save_organization(form.details(), organization)
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
    _require_site_admin()
    return _organization_page(OrganizationForm(), None)


@bp.route("/organizations/<int:organization_id>", methods=["GET", "POST"])
def edit_organization(organization_id: int):
    organization = db.get_or_404(Organization, organization_id)
    if not access.may_administer_organization(me(), organization.id):
        abort(403)
    return _organization_page(OrganizationForm(obj=organization), organization)


@bp.route("/organizers/new", methods=["GET", "POST"])
def new_organizer():
    form = OrganizerForm.for_admin(me())
    if form.validate_on_submit():
        try:
            organizer = organizers.create_organizer(
                email=form.email.data,
                name=form.name.data,
                password=form.password.data,
                organizations=[],
                is_admin=bool(form.is_admin and form.is_admin.data),
                temporary=True,
            )
            organizers.set_memberships(
                organizer, form.memberships(), within=access.administered_organization_ids(me())
            )
            organizers.set_door_seminars(
                organizer,
                set(form.door_seminar_ids.data or []),
                choosable=form.door_seminar_choices(),
            )
            account_log.record(organizer, "created", actor=me())
        except organizers.EmailTaken:
            db.session.rollback()
            form.email.errors.append(_("An account with this email address already exists."))
        else:
            db.session.commit()
            flash(
                _(
                    "The account is created. Give them the temporary password in person: "
                    "they choose their own at their first login. Or send an invitation instead."
                ),
                "success",
            )
            return redirect(url_for("admin.index"), 303)
    return render_template("admin/organizer.html", form=form, account=None), _status()


def _account_page(account: Organizer, form: OrganizerForm, status: int):
    return render_template(
        "admin/organizer.html",
        form=form,
        account=account,
        has_totp=factors.has_totp(account),
        passkey_count=factors.passkey_count(account),
        events=account_log.recent(account),
        action_form=ConfirmForm(),
    ), status


@bp.route("/organizers/<int:organizer_id>", methods=["GET", "POST"])
def edit_organizer(organizer_id: int):
    account = _account_or_403(organizer_id)
    form = OrganizerForm.for_admin(me(), account)
    if form.validate_on_submit():
        try:
            organizers.update_organizer(
                account,
                email=form.email.data,
                name=form.name.data,
                memberships=form.memberships(),
                is_admin=form.is_admin.data if form.is_admin else None,
                active=form.active.data,
                changed_by=me(),
                within=access.administered_organization_ids(me()),
            )
            organizers.set_door_seminars(
                account,
                set(form.door_seminar_ids.data or []),
                choosable=form.door_seminar_choices(),
            )
        except organizers.EmailTaken:
            db.session.rollback()
            form.email.errors.append(_("An account with this email address already exists."))
        except organizers.OwnAccessRemoved:
            db.session.rollback()
            form.active.errors.append(
                _("You cannot remove your own administrator access or deactivate yourself.")
            )
        else:
            db.session.commit()
            flash(_("The account is saved."), "success")
            return redirect(url_for("admin.index"), 303)
    return _account_page(account, form, _status())


@bp.post("/organizers/<int:organizer_id>/reset-factors")
def reset_factors(organizer_id: int):
    """For a person who lost their phone or key: written to their account's log."""
    account = _account_or_403(organizer_id)
    if not ConfirmForm().validate_on_submit() or account.id == current_user.id:
        abort(400)
    factors.reset(account, by=me())
    db.session.commit()
    flash(
        _(
            "The second factors of %(name)s are removed and they are logged out. They set up "
            "a new one at their next login.",
            name=account.name,
        ),
        "success",
    )
    return redirect(url_for("admin.edit_organizer", organizer_id=account.id), 303)


@bp.post("/organizers/<int:organizer_id>/approve")
def approve(organizer_id: int):
    account = _account_or_403(organizer_id)
    if not ConfirmForm().validate_on_submit() or not account.approval_pending:
        abort(400)
    organizers.approve(account, by=me())
    db.session.commit()
    flash(_("%(name)s can now log in.", name=account.name), "success")
    return redirect(url_for("admin.index"), 303)


@bp.route("/invites/new", methods=["GET", "POST"])
def new_invite():
    form = InviteForm.for_admin(me())
    if form.validate_on_submit():
        organization = db.session.get(Organization, form.organization_id.data)
        try:
            invites.invite(
                email=form.email.data,
                name=form.name.data,
                organization=organization,
                role=Role(form.role.data),
                invited_by=me(),
                accept_url_for=lambda token: (
                    current_app.config["BASE_URL"] + url_for("auth.accept_invite", token=token)
                ),
                language=current_language(),
            )
        except organizers.EmailTaken:
            db.session.rollback()
            form.email.errors.append(
                _("An account with this email address already exists: give it a role instead.")
            )
        else:
            db.session.commit()
            flash(_("The invitation is sent to %(email)s.", email=form.email.data), "success")
            return redirect(url_for("admin.index"), 303)
    return render_template("admin/invite.html", form=form), _status()
