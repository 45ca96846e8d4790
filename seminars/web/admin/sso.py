"""Single sign-on providers (site admins only): issuer, client ID and secret, and which
email domains belong to which organisation. The client secret is never shown back."""

from __future__ import annotations

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from seminars.accounts import sso
from seminars.extensions import db
from seminars.models import Organization, SsoProvider
from seminars.web.admin.forms import SsoDomainForm, SsoProviderForm
from seminars.web.admin.views import bp
from seminars.web.fields import ConfirmForm


@bp.before_request
def site_admins_only() -> None:
    if request.endpoint and request.endpoint.startswith("admin.sso") and not current_user.is_admin:
        abort(403)


def _page(form: SsoProviderForm, provider: SsoProvider | None, status: int = 200, **extra):
    callback = ""
    if provider is not None:
        callback = current_app.config["BASE_URL"] + url_for("auth.sso_callback", slug=provider.slug)
    return render_template(
        "admin/sso_provider.html",
        form=form,
        provider=provider,
        callback=callback,
        logout_return=current_app.config["BASE_URL"] + url_for("auth.login"),
        domain_form=extra.pop("domain_form", None) or SsoDomainForm.with_choices(),
        action_form=ConfirmForm(),
        **extra,
    ), status


@bp.route("/sso/new", methods=["GET", "POST"])
def sso_new():
    form = SsoProviderForm()
    if form.validate_on_submit():
        if not form.client_secret.data:
            form.client_secret.errors.append(_("Enter the client secret."))
        else:
            provider = sso.save_provider(form.details())
            db.session.commit()
            flash(
                _("The provider is saved. Now connect email domains to organisations."), "success"
            )
            return redirect(url_for("admin.sso_edit", provider_id=provider.id), 303)
    return _page(form, None, 422 if request.method == "POST" else 200)


@bp.route("/sso/<int:provider_id>", methods=["GET", "POST"])
def sso_edit(provider_id: int):
    provider = db.get_or_404(SsoProvider, provider_id)
    form = SsoProviderForm(obj=provider)
    form.client_secret.description = _("Leave empty to keep the secret saved earlier.")
    if form.validate_on_submit():
        sso.save_provider(form.details(), provider)
        db.session.commit()
        flash(_("The provider is saved."), "success")
        return redirect(url_for("admin.sso_edit", provider_id=provider.id), 303)
    return _page(form, provider, 422 if request.method == "POST" else 200)


@bp.post("/sso/<int:provider_id>/domains")
def sso_add_domain(provider_id: int):
    provider = db.get_or_404(SsoProvider, provider_id)
    domain_form = SsoDomainForm.with_choices()
    if domain_form.validate_on_submit():
        domain = domain_form.domain.data.lower().lstrip("@")
        if any(mapping.domain == domain for mapping in provider.domains):
            domain_form.domain.errors.append(_("This domain is connected already."))
        else:
            sso.add_domain(
                provider,
                domain,
                db.session.get(Organization, domain_form.organization_id.data),
                approval_required=domain_form.approval_required.data == "yes",
            )
            db.session.commit()
            flash(_("The domain %(domain)s is connected.", domain=domain), "success")
            return redirect(url_for("admin.sso_edit", provider_id=provider.id), 303)
    return _page(
        SsoProviderForm(obj=provider, formdata=None), provider, 422, domain_form=domain_form
    )


@bp.post("/sso/<int:provider_id>/domains/<int:domain_id>/remove")
def sso_remove_domain(provider_id: int, domain_id: int):
    provider = db.get_or_404(SsoProvider, provider_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    if not sso.remove_domain(provider, domain_id):
        abort(404)
    db.session.commit()
    flash(_("The domain is removed."), "success")
    return redirect(url_for("admin.sso_edit", provider_id=provider.id), 303)
