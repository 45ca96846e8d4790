"""The organiser's pages for their organisation's own systems: API tokens (made, shown
once, revoked), whether answers about health go out through the API and webhooks, and
webhook endpoints with their delivery log and a test event."""

from __future__ import annotations

import os

from flask import Blueprint, abort, current_app, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from wtforms import BooleanField, Field, StringField
from wtforms.validators import DataRequired, Length, ValidationError

from seminars.api import deliveries, webhooks
from seminars.api import tokens as api_tokens
from seminars.extensions import db
from seminars.models import ApiToken, DeliveryStatus, Organization, WebhookEndpoint
from seminars.organising import audit
from seminars.web.fields import MultiCheckboxField, no_control_characters, one_line
from seminars.web.organizer.embedding import manageable_organizations

bp = Blueprint("integrations", __name__, url_prefix="/organizer/organizations")
ORGANIZATION = "/<int:organization_id>"

SCOPE_LABELS = {
    "seminars:read": _l("Read the seminars and their seats"),
    "registrations:read": _l("Read registrations: names, addresses and answers"),
    "registrations:write": _l("Sign people up and cancel registrations"),
}
EVENT_LABELS = {
    "registration.created": _l("Someone signed up"),
    "registration.cancelled": _l("A registration was cancelled"),
    "registration.promoted": _l("Someone got a seat from the waiting list"),
    "registration.changed": _l("Someone changed their answers"),
    "seminar.published": _l("A seminar was published"),
    "seminar.changed": _l("A seminar was changed"),
    "seminar.cancelled": _l("A seminar was cancelled"),
    webhooks.TEST_EVENT: _l("Test event"),
}
INVALID_URL = {
    "format": _l("Write the full address, such as https://crm.example.org/webhooks/seminars."),
    "https": _l("The address must start with https://, so that nobody can read the events."),
}


def _choices(labels: dict, keys) -> list[tuple[str, str]]:
    return [(key, labels[key]) for key in keys]


class TokenForm(FlaskForm):
    name = StringField(
        _l("Name of the token"),
        [DataRequired(_l("Name the token.")), Length(max=100), no_control_characters],
        filters=[one_line],
        description=_l("Which system uses it, for example “CRM” or “Intranet”."),
    )
    scopes = MultiCheckboxField(
        _l("What it may do"), choices=_choices(SCOPE_LABELS, api_tokens.SCOPES)
    )

    def validate_scopes(self, field: Field) -> None:
        if not field.data:
            raise ValidationError(_l("Choose at least one."))


class HealthForm(FlaskForm):
    share_health_answers = BooleanField(
        _l("Send answers about diet and accessibility through the API and webhooks")
    )


class WebhookForm(FlaskForm):
    url = StringField(
        _l("Address (URL)"),
        [DataRequired(_l("Write the address.")), Length(max=500)],
        filters=[one_line],
        description=_l("Your system's address that receives the events, starting with https://"),
    )
    description = StringField(
        _l("Description"), [Length(max=200), no_control_characters], filters=[one_line]
    )
    events = MultiCheckboxField(
        _l("Events to send"), choices=_choices(EVENT_LABELS, webhooks.EVENTS)
    )

    def validate_url(self, field: Field) -> None:
        app = current_app
        local = app.debug or app.testing or os.environ.get("SEMINARS_DEV") == "1"
        try:
            field.data = webhooks.check_url(field.data or "", allow_local_http=local)
        except webhooks.InvalidUrl as error:
            raise ValidationError(str(INVALID_URL[error.reason])) from None

    def validate_events(self, field: Field) -> None:
        if not field.data:
            raise ValidationError(_l("Choose at least one."))


@bp.before_request
@login_required
def require_login() -> None:
    """Every page here is for logged-in organisers; each view checks the organisation."""


@bp.app_context_processor
def integrations_link() -> dict:
    """For the organiser layout's menu: the API page of the organiser's first organisation."""

    def integrations_url() -> str | None:
        if not current_user.is_authenticated:
            return None
        organizations = manageable_organizations()
        if not organizations:
            return None
        return url_for("integrations.api_tokens_page", organization_id=organizations[0].id)

    return {"integrations_url": integrations_url}


def _organization_or_404(organization_id: int) -> Organization:
    organization = next((o for o in manageable_organizations() if o.id == organization_id), None)
    if organization is None:
        abort(404)
    return organization


def _render_api(organization: Organization, form: TokenForm, new_token=None, status=200):
    return render_template(
        "organisation/api.html",
        organization=organization,
        organizations=manageable_organizations(),
        form=form,
        health_form=HealthForm(data={"share_health_answers": organization.share_health_answers}),
        tokens=api_tokens.of_organization(organization.id),
        new_token=new_token,
        scope_labels=SCOPE_LABELS,
    ), status


@bp.route(ORGANIZATION + "/api", methods=["GET", "POST"])
def api_tokens_page(organization_id: int):
    organization = _organization_or_404(organization_id)
    form = TokenForm()
    if not form.validate_on_submit():
        return _render_api(organization, form, status=422 if form.errors else 200)
    created = api_tokens.create(organization, form.name.data, form.scopes.data, current_user)
    db.session.commit()
    # Shown on this response only: it is stored hashed, and never shown again.
    return _render_api(organization, TokenForm(formdata=None), new_token=created.token)


@bp.post(ORGANIZATION + "/api/tokens/<int:token_id>/revoke")
def revoke_token(organization_id: int, token_id: int):
    organization = _organization_or_404(organization_id)
    token = db.session.get(ApiToken, token_id)
    if token is None or token.organization_id != organization.id:
        abort(404)
    if api_tokens.revoke(token, current_user):
        db.session.commit()
    flash(_("The token “%(name)s” no longer works.", name=token.name), "success")
    return redirect(url_for(".api_tokens_page", organization_id=organization.id), 303)


@bp.post(ORGANIZATION + "/api/health")
def health_sharing(organization_id: int):
    organization = _organization_or_404(organization_id)
    form = HealthForm()
    if form.validate_on_submit():
        wanted = bool(form.share_health_answers.data)
        if wanted != organization.share_health_answers:
            organization.share_health_answers = wanted
            audit.record(
                current_user,
                "health_sharing_changed",
                organization_id=organization.id,
                detail={"shared": wanted},
            )
            db.session.commit()
        flash(_("Saved."), "success")
    return redirect(url_for(".api_tokens_page", organization_id=organization.id), 303)


# -------------------------------------------------------------------------------- webhooks


def _endpoint_or_404(organization: Organization, endpoint_id: int) -> WebhookEndpoint:
    endpoint = db.session.get(WebhookEndpoint, endpoint_id)
    if endpoint is None or endpoint.organization_id != organization.id:
        abort(404)
    return endpoint


@bp.route(ORGANIZATION + "/webhooks", methods=["GET", "POST"])
def webhooks_page(organization_id: int):
    organization = _organization_or_404(organization_id)
    endpoints = webhooks.endpoints_of(organization.id)
    form = WebhookForm(data={"events": list(webhooks.EVENTS)})
    if form.validate_on_submit():
        if len(endpoints) >= webhooks.MAX_ENDPOINTS:
            flash(_("At most %(max)d webhooks.", max=webhooks.MAX_ENDPOINTS), "problem")
        else:
            endpoint = webhooks.add_endpoint(
                organization, form.url.data, form.events.data, form.description.data, current_user
            )
            db.session.commit()
            flash(_("The webhook is added. Give its secret to your system."), "success")
            return redirect(
                url_for(".webhook_page", organization_id=organization.id, endpoint_id=endpoint.id),
                303,
            )
    return render_template(
        "organisation/webhooks.html",
        organization=organization,
        organizations=manageable_organizations(),
        endpoints=endpoints,
        form=form,
        event_labels=EVENT_LABELS,
    ), (422 if form.errors else 200)


@bp.route(ORGANIZATION + "/webhooks/<int:endpoint_id>", methods=["GET", "POST"])
def webhook_page(organization_id: int, endpoint_id: int):
    organization = _organization_or_404(organization_id)
    endpoint = _endpoint_or_404(organization, endpoint_id)
    form = WebhookForm(obj=endpoint)
    if form.validate_on_submit():
        webhooks.update_endpoint(
            endpoint, form.url.data, form.events.data, form.description.data, current_user
        )
        db.session.commit()
        flash(_("Saved."), "success")
        return redirect(request_url(organization, endpoint), 303)
    return render_template(
        "organisation/webhook.html",
        organization=organization,
        endpoint=endpoint,
        secret=webhooks.secret_of(endpoint),
        form=form,
        deliveries=webhooks.deliveries_of(endpoint),
        event_labels=EVENT_LABELS,
        statuses=DeliveryStatus,
    ), (422 if form.errors else 200)


def request_url(organization: Organization, endpoint: WebhookEndpoint) -> str:
    return url_for(".webhook_page", organization_id=organization.id, endpoint_id=endpoint.id)


@bp.post(ORGANIZATION + "/webhooks/<int:endpoint_id>/test")
def test_webhook(organization_id: int, endpoint_id: int):
    organization = _organization_or_404(organization_id)
    endpoint = _endpoint_or_404(organization, endpoint_id)
    delivery = webhooks.test_event(endpoint, current_user)
    db.session.commit()
    delivery = deliveries.send_now(delivery)
    if delivery.status == DeliveryStatus.DELIVERED:
        flash(
            _("The test event arrived (HTTP %(code)s).", code=delivery.last_status_code), "success"
        )
    else:
        flash(
            _("The test event did not arrive: %(error)s", error=delivery.last_error or "–"),
            "problem",
        )
    return redirect(request_url(organization, endpoint), 303)


@bp.post(ORGANIZATION + "/webhooks/<int:endpoint_id>/enable")
def enable_webhook(organization_id: int, endpoint_id: int):
    return _switch(organization_id, endpoint_id, on=True)


@bp.post(ORGANIZATION + "/webhooks/<int:endpoint_id>/disable")
def disable_webhook(organization_id: int, endpoint_id: int):
    return _switch(organization_id, endpoint_id, on=False)


def _switch(organization_id: int, endpoint_id: int, *, on: bool):
    organization = _organization_or_404(organization_id)
    endpoint = _endpoint_or_404(organization, endpoint_id)
    webhooks.set_enabled(endpoint, on, current_user)
    db.session.commit()
    flash(_("The webhook is on.") if on else _("The webhook is off."), "success")
    return redirect(request_url(organization, endpoint), 303)


@bp.post(ORGANIZATION + "/webhooks/<int:endpoint_id>/remove")
def remove_webhook(organization_id: int, endpoint_id: int):
    organization = _organization_or_404(organization_id)
    endpoint = _endpoint_or_404(organization, endpoint_id)
    webhooks.remove_endpoint(endpoint, current_user)
    db.session.commit()
    flash(_("The webhook is removed."), "success")
    return redirect(url_for(".webhooks_page", organization_id=organization.id), 303)
