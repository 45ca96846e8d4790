"""The privacy notice per organisation and the accessibility statement, and links to them."""

from __future__ import annotations


def english(client):
    client.set_cookie("lang", "en")
    return client


def test_privacy_notice_names_who_why_how_long_rights_and_imy(client, organization_factory):
    organization = organization_factory(
        "Malmö universitet", contact_email="dataskydd@mau.example", retention_days=365
    )
    response = english(client).get(f"/privacy/{organization.slug}")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "Privacy notice: Malmö universitet" in page
    assert 'href="mailto:dataskydd@mau.example"' in page
    assert "public interest (GDPR article 6.1 e)" in page
    assert "legitimate interest" in page
    assert "explicit consent (GDPR article 9.2 a)" in page
    assert "email provider" in page
    assert "deleted 365 days after the seminar has ended" in page
    assert "To have your details deleted." in page
    assert 'href="https://www.imy.se/"' in page


def test_privacy_notice_says_one_day_in_the_singular(client, organization_factory):
    organization = organization_factory(retention_days=1)
    page = english(client).get(f"/privacy/{organization.slug}").get_data(as_text=True)
    assert "deleted 1 day after" in page


def test_privacy_notice_of_an_unknown_organisation_is_404(client):
    assert client.get("/privacy/no-such-organisation").status_code == 404


def test_privacy_index_links_every_organisation(client, organization_factory):
    ofr = organization_factory("OFR")
    mau = organization_factory("Malmö universitet")
    page = client.get("/privacy").get_data(as_text=True)
    assert f'href="/privacy/{ofr.slug}"' in page
    assert f'href="/privacy/{mau.slug}"' in page


def test_signup_form_links_to_the_hosts_privacy_notice(client, seminar_factory):
    seminar = seminar_factory()
    page = client.get(f"/seminars/{seminar.slug}").get_data(as_text=True)
    notice = page.split('class="privacy-notice"')[1].split("</div>")[0]
    assert f'href="/privacy/{seminar.organization.slug}"' in notice
    assert "IMY" in notice


def test_accessibility_statement_has_status_gaps_reporting_and_digg(client, organization_factory):
    organization_factory("OFR", contact_email="info@ofr.example")
    response = english(client).get("/accessibility")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "<h1>Accessibility statement</h1>" in page
    assert "partially compliant" in page
    assert "WCAG 2.1 level AA" in page
    assert "Known gaps" in page
    assert 'href="mailto:info@ofr.example?subject=Accessibility%20problem' in page
    assert 'href="https://www.digg.se/tdosanmalan"' in page
    assert "200% zoom" in page


def test_every_page_footer_links_to_privacy_and_accessibility(client, seminar_factory):
    seminar = seminar_factory()
    for path in ("/", f"/seminars/{seminar.slug}", "/accessibility", "/no-such-page"):
        footer = client.get(path).get_data(as_text=True).split("<footer")[1]
        assert 'href="/privacy"' in footer
        assert 'href="/accessibility"' in footer


def test_statements_exist_in_swedish(client, organization_factory):
    organization = organization_factory()
    for path in (f"/privacy/{organization.slug}", "/privacy", "/accessibility"):
        response = client.get(path)
        assert response.status_code == 200
        assert '<html lang="sv">' in response.get_data(as_text=True)
