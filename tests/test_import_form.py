"""The import form's hint shows its example as written (issue 13): a translated hint went
through the field macro as HTML, and "<anna@kommun.se>" vanished as an unknown tag."""

from tests.conftest import log_in


def test_the_import_hint_shows_the_address_in_angle_brackets(
    client, organizer_factory, seminar_factory
):
    organizer = organizer_factory()
    seminar = seminar_factory(organization=organizer.organizations[0])
    log_in(client, organizer)
    page = client.get(f"/organizer/seminars/{seminar.id}/attendees/import").text
    assert "Anna Andersson &lt;anna@kommun.se&gt;, Nyköpings kommun" in page
    assert "<anna@kommun.se>" not in page
    assert 'aria-describedby="text-hint"' in page
    # With an error, the field points to it too.
    page = client.post(
        f"/organizer/seminars/{seminar.id}/attendees/import", data={"text": "", "preview": "1"}
    ).text
    assert 'aria-describedby="text-hint text-error"' in page
    assert '<p class="error" id="text-error">Klistra in några rader eller välj en fil.</p>' in page
