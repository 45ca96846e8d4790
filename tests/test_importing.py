"""Reading people out of pasted email lines and CSV files (no database involved)."""

from seminars.organising.importing import Problem, decode_csv, parse_csv, parse_pasted

MESSY_PASTE = """\
Anna Andersson <anna@kommun.se>, Nyköpings kommun
"Berg, Sofia" <sofia.berg@vision.se>
per.oberg@region.se

Johan Larson; johan@vardforbundet.se; Vårdförbundet
Lars Fresker\tlars@ofr.se\tOFR
Hej! Här kommer anmälningarna från förra veckan.
> Från: Karin Ek <Karin.Ek@Skolverket.se>
ANNA@kommun.se
Mona Lind <mona@kommun>
Erik, erik@ek.se, eva@ek.se
"""


def people(parsed):
    return [(p.name, p.email, p.organization) for p in parsed.people]


def test_every_pasted_form_people_write_is_read():
    parsed = parse_pasted(MESSY_PASTE)
    assert people(parsed) == [
        ("Anna Andersson", "anna@kommun.se", "Nyköpings kommun"),
        ("Sofia Berg", "sofia.berg@vision.se", ""),
        ("Per Oberg", "per.oberg@region.se", ""),
        ("Johan Larson", "johan@vardforbundet.se", "Vårdförbundet"),
        ("Lars Fresker", "lars@ofr.se", "OFR"),
        ("Karin Ek", "Karin.Ek@skolverket.se", ""),
    ]
    assert [p.line_number for p in parsed.people] == [1, 2, 3, 5, 6, 8]


def test_name_guessed_from_the_address_is_marked():
    guessed = {p.email: p.name_guessed for p in parse_pasted(MESSY_PASTE).people}
    assert guessed["per.oberg@region.se"] is True
    assert guessed["anna@kommun.se"] is False


def test_a_mailbox_address_gives_no_name_rather_than_a_wrong_one():
    (person,) = parse_pasted("kansli@ofr.se").people
    assert (person.name, person.name_guessed) == ("", False)


def test_same_address_twice_in_the_paste_is_a_repeat_whatever_the_case():
    parsed = parse_pasted(MESSY_PASTE)
    assert [(p.email, p.line_number) for p in parsed.repeated] == [("ANNA@kommun.se", 9)]


def test_junk_lines_are_unreadable_with_the_reason_and_blank_lines_ignored():
    unreadable = {u.line_number: (u.line, u.problem) for u in parse_pasted(MESSY_PASTE).unreadable}
    assert unreadable == {
        7: ("Hej! Här kommer anmälningarna från förra veckan.", Problem.NO_EMAIL),
        10: ("Mona Lind <mona@kommun>", Problem.INVALID_EMAIL),
        11: ("Erik, erik@ek.se, eva@ek.se", Problem.SEVERAL_EMAILS),
    }


def test_a_copied_to_line_is_one_person_per_address():
    parsed = parse_pasted("Anna Andersson <anna@kommun.se>; per.oberg@region.se")
    assert people(parsed) == [
        ("Anna Andersson", "anna@kommun.se", ""),
        ("Per Oberg", "per.oberg@region.se", ""),
    ]


def test_name_before_and_organisation_after_a_bare_address():
    assert people(parse_pasted("Erik Ek erik@ek.se Region Skåne")) == [
        ("Erik Ek", "erik@ek.se", "Region Skåne")
    ]
    assert people(parse_pasted("bo@ek.se (Bo Ek)")) == [("Bo Ek", "bo@ek.se", "")]


def test_control_characters_and_overlong_lines_are_refused():
    parsed = parse_pasted("Anna\x07 <anna@kommun.se>\n" + "x" * 1200 + " a@b.se")
    assert [u.problem for u in parsed.unreadable] == [
        Problem.CONTROL_CHARACTERS,
        Problem.TOO_LONG,
    ]
    assert parsed.people == []


def test_pasted_spreadsheet_with_heading_row_keeps_columns_in_place():
    pasted = "Namn\tE-post\tOrganisation\nAnna Andersson\tanna@kommun.se\t\n\tper.ek@ofr.se\tOFR\n"
    assert people(parse_pasted(pasted)) == [
        ("Anna Andersson", "anna@kommun.se", ""),
        ("Per Ek", "per.ek@ofr.se", "OFR"),
    ]


def test_csv_with_bom_semicolons_and_swedish_headers():
    data = "\ufeffNamn;E-post;Organisation\r\nAnna Andersson;anna@kommun.se;Nyköpings kommun\r\n"
    parsed = parse_csv(decode_csv(data.encode("utf-8")))
    assert people(parsed) == [("Anna Andersson", "anna@kommun.se", "Nyköpings kommun")]


def test_csv_with_commas_quotes_first_and_last_name_columns():
    data = 'Förnamn,Efternamn,E-postadress,Arbetsplats\nÅsa,Öberg,asa@region.se,"Region, HR"\n'
    assert people(parse_csv(decode_csv(data.encode("utf-8")))) == [
        ("Åsa Öberg", "asa@region.se", "Region, HR")
    ]


def test_csv_without_header_and_excel_windows_encoding():
    data = "Åsa Öberg;asa@region.se;Vårdförbundet\nPer;per@region.se\n".encode("cp1252")
    parsed = parse_csv(decode_csv(data))
    assert people(parsed) == [
        ("Åsa Öberg", "asa@region.se", "Vårdförbundet"),
        ("Per", "per@region.se", ""),
    ]


def test_csv_rows_without_address_are_unreadable_and_repeats_found():
    data = "Namn;E-post\nAnna;anna@kommun.se\nBo;\nAnna igen;Anna@Kommun.se\n"
    parsed = parse_csv(data)
    assert people(parsed) == [("Anna", "anna@kommun.se", "")]
    assert [(u.line_number, u.problem) for u in parsed.unreadable] == [(3, Problem.NO_EMAIL)]
    assert [p.line_number for p in parsed.repeated] == [4]


def test_empty_input_reads_nobody():
    assert parse_pasted("\n \n").people == []
    assert parse_csv("").people == []
