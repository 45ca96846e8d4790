"""Single sign-on on the web: "Log in with <provider>", the provider's callback, linking
an identity to a signed-in account, and the provider's end-session URL at logout.

Authlib does the protocol: the discovery document, PKCE (S256), a state bound to this
browser's session, a nonce checked against the ID token, and the ID token's signature,
issuer, audience and expiry. Anything that does not check out fails closed: no session.
"""

from __future__ import annotations

import threading
from urllib.parse import urlencode

from authlib.common.errors import AuthlibBaseError
from authlib.integrations.flask_client import FlaskOAuth2App
from authlib.integrations.flask_client.integration import FlaskIntegration
from cachetools import TTLCache
from flask import (
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from joserfc.errors import JoseError
from requests import RequestException

from seminars.accounts import sso
from seminars.extensions import db
from seminars.models import LoginSession, SsoProvider
from seminars.web.auth import signin
from seminars.web.auth.account import bp as account_bp
from seminars.web.auth.views import bp
from seminars.web.fields import ConfirmForm

SCOPE = "openid email profile"
LINK = "sso_link"
NEXT = "sso_next"
HTTP_TIMEOUT = 10
# Discovery documents (with their key sets), an hour per provider, shared by the threads
# of a process; another process fetches its own.
_metadata: TTLCache = TTLCache(maxsize=64, ttl=3600)
_metadata_lock = threading.Lock()

REFUSALS = {
    sso.Refusal.UNVERIFIED: _l(
        "Your organisation's login did not confirm your email address, so we cannot tell "
        "which organisation you belong to."
    ),
    sso.Refusal.UNMAPPED: _l(
        "Your email address's domain is not connected to any organisation here. Ask an "
        "administrator to add it, or to invite you."
    ),
    sso.Refusal.ACCOUNT_EXISTS: _l(
        "There is already an account with your email address. Log in with its password, "
        "then link your organisation's login on the page “Account and security”."
    ),
    sso.Refusal.PENDING: _l(
        "Your account is waiting for an administrator's approval. You can log in once "
        "they have approved it."
    ),
    sso.Refusal.INACTIVE: _l("Your account is deactivated. Ask an administrator."),
}


def _client(provider: SsoProvider) -> FlaskOAuth2App:
    name = f"sso{provider.id}"
    with _metadata_lock:
        metadata = _metadata.get((provider.issuer, provider.client_id))
    client = FlaskOAuth2App(
        FlaskIntegration(name),
        name=name,
        client_id=provider.client_id,
        client_secret=sso.client_secret(provider),
        server_metadata_url=provider.issuer + "/.well-known/openid-configuration",
        client_kwargs={
            "scope": SCOPE,
            "code_challenge_method": "S256",
            "default_timeout": HTTP_TIMEOUT,
        },
        **(metadata or {}),
    )
    if metadata is None:
        metadata = client.load_server_metadata()
        if metadata.get("issuer", "").rstrip("/") != provider.issuer:
            raise AuthlibBaseError(description="the discovery document names another issuer")
        with _metadata_lock:
            _metadata[(provider.issuer, provider.client_id)] = metadata
    return client


def _callback_url(provider: SsoProvider) -> str:
    return current_app.config["BASE_URL"] + url_for("auth.sso_callback", slug=provider.slug)


def _failed(message: str, status: int = 400):
    return render_template("auth/sso_failed.html", message=message), status


@bp.get("/login/sso/<slug>")
def sso_login(slug: str):
    provider = sso.provider_by_slug(slug) or abort(404)
    session.pop(LINK, None)
    session[NEXT] = request.args.get("next") or ""
    return _redirect_to(provider)


def leaving_page(provider_name: str, target: str, heading: str):
    """A page that sends the browser on to the provider: after a form's POST a redirect to
    another site would be blocked by the Content-Security-Policy (form-action 'self')."""
    return render_template(
        "auth/leaving.html", provider=provider_name, target=target, heading=heading
    )


def _redirect_to(provider: SsoProvider, *, from_form: bool = False):
    try:
        response = _client(provider).authorize_redirect(_callback_url(provider))
    except (AuthlibBaseError, RequestException, ValueError):
        current_app.logger.exception("single sign-on with %s is unreachable", provider.slug)
        return _failed(_("%(provider)s cannot be reached just now.", provider=provider.name), 502)
    if from_form:
        heading = _("On to %(provider)s", provider=provider.name)
        return leaving_page(provider.name, response.location, heading)
    return response


def _claims(client: FlaskOAuth2App) -> tuple[sso.Claims, str]:
    """The verified claims and the raw ID token, or AuthlibBaseError."""
    token = client.authorize_access_token()
    id_claims = token.get("userinfo")
    if not id_claims or "id_token" not in token:
        raise AuthlibBaseError(description="no ID token")
    claims = dict(id_claims)
    if "email" not in claims:
        userinfo = client.userinfo(token=token)
        if userinfo.get("sub") != claims.get("sub"):
            raise AuthlibBaseError(description="userinfo is about someone else")
        claims.update(
            {k: userinfo[k] for k in ("email", "email_verified", "name") if k in userinfo}
        )
    return sso.Claims.from_token(claims), token["id_token"]


@bp.get("/login/sso/<slug>/callback")
def sso_callback(slug: str):
    provider = sso.provider_by_slug(slug) or abort(404)
    try:
        claims, id_token = _claims(_client(provider))
    except (AuthlibBaseError, JoseError, RequestException, ValueError, KeyError) as error:
        current_app.logger.warning("single sign-on with %s refused: %s", provider.slug, error)
        return _failed(
            _(
                "The login with %(provider)s did not go through. Please try again.",
                provider=provider.name,
            )
        )
    if not claims.subject:
        return _failed(
            _(
                "The login with %(provider)s did not go through. Please try again.",
                provider=provider.name,
            )
        )
    link_for = session.pop(LINK, None)
    if link_for is not None:
        return _finish_link(provider, claims, link_for)
    try:
        organizer = sso.sign_in(provider, claims)
    except sso.SignInRefused as refusal:
        db.session.commit()  # an account created to wait for approval stays
        return _failed(str(REFUSALS[refusal.reason]), 403)
    target = session.pop(NEXT, None)
    response = redirect(signin.landing(organizer, target), 303)
    return signin.complete(
        organizer, "sso", response, sso_provider_id=provider.id, id_token=id_token
    )


def _finish_link(provider: SsoProvider, claims: sso.Claims, organizer_id: int):
    if not current_user.is_authenticated or current_user.id != organizer_id:
        return _failed(_("Log in first, then link your organisation's login."), 403)
    try:
        sso.link(current_user, provider, claims)
    except sso.IdentityTaken:
        db.session.rollback()
        flash(
            _(
                "That login at %(provider)s belongs to another account here.",
                provider=provider.name,
            ),
            "error",
        )
    else:
        db.session.commit()
        flash(_("You can now log in with %(provider)s.", provider=provider.name), "success")
    return redirect(url_for("account.security"), 303)


@account_bp.post("/sso/<int:provider_id>/link")
@login_required
def link_sso(provider_id: int):
    provider = db.session.get(SsoProvider, provider_id)
    if provider is None or not provider.enabled:
        abort(404)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    session[LINK] = current_user.id
    return _redirect_to(provider, from_form=True)


@account_bp.post("/sso/identities/<int:identity_id>/unlink")
@login_required
def unlink_sso(identity_id: int):
    if not ConfirmForm().validate_on_submit():
        abort(400)
    if not sso.unlink(current_user, identity_id):
        abort(404)
    db.session.commit()
    flash(_("The link is removed."), "success")
    return redirect(url_for("account.security"), 303)


def end_session_page(login_session: LoginSession):
    """After our logout, the provider's end-session page when it has one; else None."""
    url = end_session_url(login_session)
    if url is None:
        return None
    provider = db.session.get(SsoProvider, login_session.sso_provider_id)
    heading = _("Log out at %(provider)s too", provider=provider.name)
    return leaving_page(provider.name, url, heading)


def end_session_url(login_session: LoginSession) -> str | None:
    """Where to send the browser so the provider ends its session too, when it can."""
    provider = db.session.get(SsoProvider, login_session.sso_provider_id)
    if provider is None:
        return None
    try:
        endpoint = _client(provider).load_server_metadata().get("end_session_endpoint")
    except (AuthlibBaseError, RequestException, ValueError):
        return None
    if not endpoint:
        return None
    query = {
        "client_id": provider.client_id,
        "post_logout_redirect_uri": current_app.config["BASE_URL"] + url_for("auth.login"),
    }
    if login_session.id_token:
        query["id_token_hint"] = login_session.id_token
    return endpoint + ("&" if "?" in endpoint else "?") + urlencode(query)
