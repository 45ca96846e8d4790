"""Demo data: the seed seminars from ../shared/seeds, with dates relative to today."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from sqlalchemy import select

from seminars import signup
from seminars.accounts import organizers
from seminars.dates import to_utc
from seminars.extensions import db
from seminars.models import (
    DetailsIn,
    Organization,
    ProgramItem,
    Question,
    QuestionKind,
    Seminar,
    SeminarMode,
    SeminarSession,
    SeminarStatus,
    SessionGroup,
    Speaker,
)

ORGANIZATIONS = {
    "ofr": ("OFR – Offentliganställdas Förhandlingsråd", "info@ofr.example.org", 90),
    "mau": ("Malmö universitet", "registrator@mau.example.org", 90),
    "tillit": ("Tillitsdelegationen", "tillitsdelegationen@example.org", 90),
}

OFR_DESCRIPTION = """\
Ambitionerna i offentlig sektor har blivit högre och högre. Systemen för kontroll har ökat,
och styrningen med mål har utvecklats på ett sätt som riskerar att inkräkta på själva jobbet.
För personalen medför en rigid styrning både arbetsmiljö- och inflytandeproblem.

Vid seminariet redogör **Tillitsdelegationens huvudsekreterare Anna Lexelius** för
delegationens arbete, och **Gabriel Billing**, enhetschef i Nyköpings kommun, berättar om
försöksverksamheten i kommunens socialtjänst. Därefter följer en paneldebatt om vad
tillitsbaserad styrning kan betyda för inflytande och hälsa på arbetsplatserna.

OFR består av tretton förbund som tillsammans representerar drygt 573 000 medlemmar inom
offentlig sektor.
"""

MAU_DESCRIPTION = """\
Kraftig kritik har riktats mot styrningen och ledarskapet i offentlig sektor under senare år:
detaljstyrning, överbyråkratisering, onödigt mycket kontroll och mätande, en inhuman
personalpolitik och dålig arbetsmiljö.

Som svar på kritiken har regeringen genomfört en tillitsreform. Ett centralt inslag är den
statliga utredningen Tillitsdelegationen, med uppdrag att utreda hur välfärdssektorn kan
styras och ledas med ökad tillit till sina professioner.

Vid detta seminarium presenteras Tillitsdelegationens ramverk för *tillitsbaserad styrning och
ledning* samt slutsatserna från de tolv försöksverksamheterna. Vi diskuterar hur man praktiskt
kan skapa mer utrymme för professionerna, samtidigt som det finns utrymme för kontroll och
ansvarsutkrävande, och vilka särskilda förutsättningar som råder i statsförvaltningen jämfört
med kommuner och regioner.

Delar av Tillitsdelegationen finns på plats och det finns goda möjligheter till diskussion.
Seminariet är ett samarrangemang mellan utredningen och Malmö universitet. **Det bjuds på fika
i pausen.**
"""

SMALL_DESCRIPTION = """\
Ett kort samtal över en kopp kaffe om hur de åtta vägledande principerna för tillitsbaserad
styrning – tillit, medborgarfokus, helhetssyn, handlingsutrymme, stöd, kunskap, öppenhet och
långsiktighet – kan bli vardag på en arbetsplats. Litet format, få platser.
"""


def _local(day: date, hour: int, minute: int = 0) -> datetime:
    return to_utc(datetime.combine(day, time(hour, minute)))


def _organization(slug: str) -> Organization:
    existing = db.session.execute(
        select(Organization).where(Organization.slug == slug)
    ).scalar_one_or_none()
    if existing:
        return existing
    name, email, retention = ORGANIZATIONS[slug]
    organization = Organization(slug=slug, name=name, contact_email=email, retention_days=retention)
    db.session.add(organization)
    db.session.flush()
    return organization


def _next_weekday(start: date, weekday: int) -> date:
    """The first such weekday on or after `start`, outside the Christmas holidays."""
    if (start.month, start.day) >= (12, 20) or (start.month, start.day) <= (1, 7):
        start = date(start.year + (start.month == 12), 1, 8)
    return start + timedelta(days=(weekday - start.weekday()) % 7)


def _program(*rows: tuple[str | None, str, str]) -> list[ProgramItem]:
    return [
        ProgramItem(
            position=i,
            starts_at=time.fromisoformat(at) if at else None,
            title=title,
            who=who,
        )
        for i, (at, title, who) in enumerate(rows)
    ]


def _speakers(*rows: tuple[str, str, str]) -> list[Speaker]:
    return [
        Speaker(position=i, name=name, role=role, affiliation=affiliation)
        for i, (name, role, affiliation) in enumerate(rows)
    ]


def _ofr_seminar(today: date) -> Seminar:
    day = _next_weekday(today + timedelta(days=21), 2)  # a Wednesday, as in the seed
    return Seminar(
        slug="inflytande-och-halsa-med-tillitsbaserad-styrning",
        organization=_organization("ofr"),
        title="Inflytande och hälsa med tillitsbaserad styrning?",
        subtitle="Ett seminarium om tillitsreformen, arbetsmiljön och fackets roll",
        description=OFR_DESCRIPTION,
        starts_at=_local(day, 13),
        ends_at=_local(day, 16, 45),
        venue_name="Norra Latin, Aulan",
        venue_address="Drottninggatan 71B, 111 36 Stockholm",
        capacity=120,
        status=SeminarStatus.PUBLISHED,
        contact_name="OFR:s kansli",
        contact_email="info@ofr.example.org",
        program_items=_program(
            (
                "13:00",
                "Inledning: Inflytande och hälsa med tillitsbaserad styrning?",
                "Lars Fresker, OFR:s ordförande",
            ),
            (
                "13:20",
                "Tillitsdelegationens uppdrag och arbete",
                "Anna Lexelius, huvudsekreterare, Tillitsdelegationen",
            ),
            (
                "13:50",
                "Försöksverksamheten i Nyköpings kommuns socialtjänst",
                "Gabriel Billing, enhetschef, Nyköpings kommun",
            ),
            ("14:20", "Paus med kaffe", ""),
            ("14:45", "När tillit blir ett ord för besparing", "Åsa Plesner, Tankesmedjan Balans"),
            (
                "15:05",
                "Paneldebatt",
                "Anna Lexelius, Gabriel Billing, Johan Larson och Åsa Plesner. Moderator: Pia Sehm",
            ),
            ("15:50", "Parallella workshoppar: välj A eller B när du anmäler dig", ""),
            ("16:35", "Avslutning", "Lars Fresker"),
        ),
        speakers=_speakers(
            ("Lars Fresker", "ordförande", "OFR"),
            ("Anna Lexelius", "huvudsekreterare", "Tillitsdelegationen"),
            ("Gabriel Billing", "enhetschef", "Nyköpings kommun"),
            ("Johan Larson", "förste vice ordförande", "Vårdförbundet"),
            ("Åsa Plesner", "utredare", "Tankesmedjan Balans"),
            ("Pia Sehm", "moderator", ""),
        ),
        questions=[
            Question(position=0, text="Vilket förbund tillhör du?", kind=QuestionKind.SHORT_TEXT),
        ],
    )


def _malmo_seminar(today: date) -> Seminar:
    day = _next_weekday(today + timedelta(days=35), 3)
    seminar = Seminar(
        slug="styrning-och-ledarskap-i-offentlig-sektor",
        organization=_organization("tillit"),
        title="Styrning och ledarskap i offentlig sektor – ett uppdrag om tillit",
        subtitle="Ett samarrangemang mellan Tillitsdelegationen och Malmö universitet",
        description=MAU_DESCRIPTION,
        starts_at=_local(day, 13),
        ends_at=_local(day, 16, 30),
        venue_name="Malmö universitet, Niagara, sal C0E11",
        venue_address="Nordenskiöldsgatan 1, 211 19 Malmö",
        mode=SeminarMode.HYBRID,
        online_link="https://mau.zoom.example.org/j/64012345678",
        online_info="Mötes-id 640 1234 5678, lösenord: tillit. Anslut gärna fem minuter före.",
        online_details_in=DetailsIn.REMINDER,
        capacity=80,
        online_capacity=300,
        status=SeminarStatus.PUBLISHED,
        contact_name="Ewa-Marie Siwerson",
        contact_email="ewa-marie.siwerson@mau.example.org",
        program_items=_program(
            ("13:00", "Välkommen", "Malmö universitet"),
            ("13:10", "Ramverket för tillitsbaserad styrning och ledning", "Tillitsdelegationen"),
            (
                "13:50",
                "Slutsatser från de tolv försöksverksamheterna",
                "Forskare från försöksverksamheterna",
            ),
            ("14:30", "Fika", ""),
            (
                "15:00",
                "Det arbete som pågår i dag – staten, kommunerna och regionerna",
                "Tillitsdelegationen",
            ),
            ("15:40", "Diskussion: mer utrymme för professionerna, och kontroll", "Alla"),
        ),
        questions=[
            Question(
                position=0,
                text="Kost till fikat",
                help_text="Så att vi kan beställa rätt fika.",
                kind=QuestionKind.CHOICE,
                choices="Ingen särskild kost\nVegetarisk\nVegansk\nGlutenfri\nLaktosfri",
                sensitive=True,
            ),
            Question(
                position=1,
                text="Behöver du något för att kunna delta (tillgänglighet)?",
                kind=QuestionKind.LONG_TEXT,
                sensitive=True,
            ),
        ],
    )
    seminar.cohosts = [_organization("mau")]
    return seminar


def _small_seminar(today: date) -> Seminar:
    day = _next_weekday(today + timedelta(days=10), 4)
    return Seminar(
        slug="tillit-i-praktiken-frukostsamtal",
        organization=_organization("ofr"),
        title="Tillit i praktiken – frukostsamtal",
        subtitle="Åtta principer, en kopp kaffe",
        description=SMALL_DESCRIPTION,
        starts_at=_local(day, 8),
        ends_at=_local(day, 9, 15),
        venue_name="OFR:s kansli, rum Förhandlingen",
        venue_address="Stockholm",
        capacity=5,
        status=SeminarStatus.PUBLISHED,
        contact_name="OFR:s kansli",
        contact_email="info@ofr.example.org",
    )


SMALL_ATTENDEES = [
    ("Karin Lindqvist", "karin.lindqvist@example.org", "Vision"),
    ("Mohammed Haddad", "mohammed.haddad@example.org", "Vårdförbundet"),
    ("Eva Sjöberg", "eva.sjoberg@example.org", "Fysioterapeuterna"),
    ("Jonas Åkesson", "jonas.akesson@example.org", "Akademikerförbundet SSR"),
    ("Sofia Berg", "sofia.berg@example.org", "Vision"),
    ("Per Öberg", "per.oberg@example.org", "Vårdförbundet"),
    ("Linnea Holm", "linnea.holm@example.org", "Fackförbundet ST"),
    ("Ali Rahimi", "ali.rahimi@example.org", "Vision"),
]


# The Malmö seminar's crowd: its room full with people waiting, and many watching online.
FIRST_NAMES = ("Anna", "Erik", "Fatima", "Lars", "Maja", "Omar", "Sara", "Johan", "Leila", "Nils")
SURNAMES = ("Lind", "Nilsson", "Hassan", "Ek", "Persson", "Karlsson", "Åberg", "Sjögren", "Yilmaz")
ORGANISATIONS = ("Malmö stad", "Region Skåne", "Lunds kommun", "Försäkringskassan", "Skolverket")
ON_SITE_PEOPLE, ONLINE_PEOPLE = 86, 45


def _crowd(seminar: Seminar) -> None:
    """80 seats on site taken and six people waiting for one; 45 of 300 online."""
    for number in range(ON_SITE_PEOPLE + ONLINE_PEOPLE):
        first = FIRST_NAMES[number % len(FIRST_NAMES)]
        last = SURNAMES[(number // len(FIRST_NAMES)) % len(SURNAMES)]
        person = signup.Attendee(
            name=f"{first} {last}",
            email=f"{first}.{last}.{number}@example.org".lower(),
            organization=ORGANISATIONS[number % len(ORGANISATIONS)],
        )
        mode = "onsite" if number < ON_SITE_PEOPLE else "online"
        signup.sign_up(seminar.id, person, mode=mode, place_in_line=False)


DEMO_SEMINARS = {
    "inflytande-och-halsa-med-tillitsbaserad-styrning": _ofr_seminar,
    "styrning-och-ledarskap-i-offentlig-sektor": _malmo_seminar,
    "tillit-i-praktiken-frukostsamtal": _small_seminar,
}


DEMO_ORGANIZER_EMAIL = "demo@example.org"
DEMO_ORGANIZER_PASSWORD = "seminarier-demo"


OFR_WORKSHOP_ATTENDEES = [
    ("Karin Ek", "karin.ek@example.org", "Vision"),
    ("Mats Lund", "mats.lund@example.org", "Kommunal"),
    ("Sara Holm", "sara.holm@example.org", "Lärarförbundet"),
]


def _ofr_workshops(seminar: Seminar) -> None:
    """Two parallel workshops after the panel, each in a smaller room: A is full."""
    group = SessionGroup(
        seminar_id=seminar.id,
        title="Workshop efter panelen 15.50–16.30",
        required=False,
        sessions=[
            SeminarSession(
                position=0,
                title="Workshop A: tillit i skolan",
                room="Sal 204",
                capacity=3,
            ),
            SeminarSession(
                position=1,
                title="Workshop B: tillit i vården",
                room="Sal 310",
                capacity=12,
            ),
        ],
    )
    db.session.add(group)
    db.session.flush()
    workshop_a = group.sessions[0].id
    for name, email, organization in OFR_WORKSHOP_ATTENDEES:
        signup.sign_up(
            seminar.id,
            signup.Attendee(name=name, email=email, organization=organization),
            sessions={group.id: workshop_a},
        )


def _demo_organizer() -> None:
    """An organiser of all three demo organisations, so `make run` can be tried at once."""
    if organizers.organizer_by_email(DEMO_ORGANIZER_EMAIL) is None:
        organizers.create_organizer(
            email=DEMO_ORGANIZER_EMAIL,
            name="Demo Arrangör",
            password=DEMO_ORGANIZER_PASSWORD,
            organizations=[_organization(slug) for slug in ORGANIZATIONS],
        )


def load(today: date | None = None, *, crowd: bool = True) -> list[Seminar]:
    """Create the demo seminars that do not exist yet; returns the ones created.
    `crowd`: the Malmö seminar gets its full room and online participants (tests that
    count its seats themselves leave them out)."""
    today = today or date.today()
    created = []
    for slug, build in DEMO_SEMINARS.items():
        if db.session.execute(select(Seminar.id).where(Seminar.slug == slug)).first():
            continue
        seminar = build(today)
        db.session.add(seminar)
        db.session.flush()
        created.append(seminar)
        if build is _ofr_seminar:
            _ofr_workshops(seminar)
        if build is _small_seminar:
            for name, email, organization in SMALL_ATTENDEES:
                signup.sign_up(
                    seminar.id, signup.Attendee(name=name, email=email, organization=organization)
                )
        if build is _malmo_seminar and crowd:
            _crowd(seminar)
    _demo_organizer()
    return created
