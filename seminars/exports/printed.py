"""The printed sign-in list, name badges and the catering summary: what an organiser
prints for the door and the kitchen. Like `lists`, no Flask here: callers pass a session and
a `translate` function.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy import false, func, select
from sqlalchemy.orm import Session

from seminars.exports.lists import (
    DEFAULT_STATUS_FILTER,
    YES_NO_LABELS,
    AnswerColumn,
    Translate,
    clean,
    read_streamed,
    untranslated,
)
from seminars.exports.sessions import session_columns
from seminars.models import (
    STATUS_FILTERS,
    ChoiceState,
    Question,
    QuestionKind,
    Registration,
    Seminar,
    SeminarSession,
    SessionChoice,
    SessionGroup,
    Status,
)
from seminars.text import swedish_sort_key

# --- printed list and badges -----------------------------------------------------------------

# Particles that belong to a surname without deciding its place: "af Kilsmark" under K.
_PARTICLES = {"af", "av", "de", "von", "van", "der", "la", "le"}
SORT_ORDERS = ("surname", "organisation")
DEFAULT_SORT = "surname"


def swedish_key(text: str) -> str:
    """A sort key in Swedish order for a cell's text (cleaned first)."""
    return swedish_sort_key(clean(text))


def surname(name: str) -> str:
    """The last word of the name ("Ögren-Wästerberg af Kilsmark" sorts under Kilsmark)."""
    words = [word for word in clean(name).split(" ") if word.casefold() not in _PARTICLES]
    return words[-1] if words else ""


@dataclass(frozen=True)
class ListedAttendee:
    """One line of the sign-in list, one badge."""

    name: str
    organization: str
    status: Status
    session: str = ""  # the sessions chosen, for the badge and the list


def listed_attendees(
    session: Session,
    seminar: Seminar,
    status_filter: str = DEFAULT_STATUS_FILTER,
    sort: str = DEFAULT_SORT,
    *,
    in_session: int | None = None,
    translate: Translate = untranslated,
) -> list[ListedAttendee]:
    """The registrations for the printed list and badges, sorted by surname or organisation;
    `in_session`: only those seated or waiting in that session (a list per session).

    Read whole (not streamed): a printed page holds what a person can read, a few hundred.
    """
    slots = session_columns(session, seminar.id, translate)
    statement = select(
        Registration.id, Registration.name, Registration.organization, Registration.status
    ).where(
        Registration.seminar_id == seminar.id,
        Registration.status.in_(STATUS_FILTERS[status_filter]),
        *on_site(seminar),
    )
    listed = [
        ListedAttendee(clean(name), clean(organization), status, slots.badge_text(rid))
        for rid, name, organization, status in read_streamed(session, statement)
        if in_session is None or in_session in slots.sessions_of.get(rid, ())
    ]

    def by_surname(attendee: ListedAttendee) -> tuple[str, str]:
        return swedish_key(surname(attendee.name)), swedish_key(attendee.name)

    if sort == "organisation":
        # Attendees without an organisation go last, not first.
        listed.sort(key=lambda a: (not a.organization, swedish_key(a.organization), *by_surname(a)))
    else:
        listed.sort(key=by_surname)
    return listed


BADGES_PER_PAGE = (8, 10)


def badge_pages(listed: Sequence[ListedAttendee], per_page: int) -> list[list[ListedAttendee]]:
    """The attendees in sheets of `per_page` badges, in list order."""
    return [list(listed[start : start + per_page]) for start in range(0, len(listed), per_page)]


def name_length_class(name: str) -> str:
    """How long a name is for a badge: "short", "long" or "very-long" (smaller type).

    Measured on the longest word too: "Wästerberg-Kilsmark" cannot wrap inside itself
    except at its hyphen, so a long single word needs smaller type sooner.
    """
    longest_word = max((len(word) for word in name.split()), default=0)
    if len(name) > 40 or longest_word > 20:
        return "very-long"
    if len(name) > 24 or longest_word > 14:
        return "long"
    return "short"


# Longest word a badge keeps on one line; see `badge_name_words`.
_WHOLE_WORD_MAX = 16


def badge_name_words(name: str) -> list[tuple[str, bool]]:
    """The words of a name, each with whether to keep it whole on one line.

    Browsers break a line after any hyphen, so "Mohammed Al-Haddad Andersson" would become
    "Mohammed Al-" / "Haddad Andersson". Keeping words whole makes lines break between words
    first; a word too long for a line may still break at its hyphen.
    """
    return [(word, len(word) <= _WHOLE_WORD_MAX) for word in clean(name).split(" ") if word]


# --- catering summary ------------------------------------------------------------------------


@dataclass
class AnswerCount:
    answer: str
    count: int = 0
    names: list[str] = field(default_factory=list)


@dataclass
class QuestionSummary:
    """How confirmed attendees answered one question.

    For choice and yes/no questions, `counts` has every option (zero counts too, so the
    café sees "Glutenfri: 0"), then any other answers given. For text questions, `written`
    holds (name, answer) pairs. Names and written answers are filled only when asked for.
    """

    text: str
    sensitive: bool
    is_choice: bool
    counts: list[AnswerCount] = field(default_factory=list)
    answered: int = 0
    unanswered: int = 0
    written: list[tuple[str, str]] = field(default_factory=list)


@dataclass
class CateringSummary:
    confirmed: int
    questions: list[QuestionSummary]
    # Parallel sessions: (time slot, session and room, people seated there), for a kitchen
    # that serves each room.
    by_session: list[tuple[str, str, int]] = field(default_factory=list)


CHOICE_KINDS = (QuestionKind.CHOICE, QuestionKind.YES_NO)


def _options(question: Question, translate: Translate) -> list[str]:
    if question.kind == QuestionKind.YES_NO:
        return [translate(YES_NO_LABELS["yes"]), translate(YES_NO_LABELS["no"])]
    return [clean(option) for option in question.choice_list]


def on_site(seminar: Seminar) -> list:
    """Who comes to the room (the sign-in list, badges, the café): not those who take part
    online, neither at a hybrid seminar nor at an online one."""
    if seminar.mode == "online":
        return [false()]
    return [Registration.mode != "online"] if seminar.is_hybrid else []


def catered(seminar: Seminar) -> list:
    """Who the café counts: the seminar's confirmed attendees on site (`on_site`).

    This is the one place that decides it; every count of the summary follows."""
    return [
        Registration.seminar_id == seminar.id,
        Registration.status == Status.CONFIRMED,
        *on_site(seminar),
    ]


@dataclass
class _Answers:
    """Everything the catered attendees answered to one question."""

    column: AnswerColumn
    tally: Counter = field(default_factory=Counter)
    names: dict[str, list[str]] = field(default_factory=dict)
    written: list[tuple[str, str]] = field(default_factory=list)

    def add(self, name: str, answers: dict | None, with_names: bool, translate: Translate):
        answer = self.column.text(answers, translate)
        self.tally[answer] += 1
        if not (with_names and answer):
            return
        if self.column.kind in CHOICE_KINDS:
            self.names.setdefault(answer, []).append(clean(name))
        else:
            self.written.append((clean(name), answer))


def _question_summary(
    question: Question, answers: _Answers, confirmed: int, with_names: bool, translate: Translate
) -> QuestionSummary:
    tally = answers.tally
    is_choice = question.kind in CHOICE_KINDS
    summary = QuestionSummary(
        text=clean(question.text),
        sensitive=question.sensitive,
        is_choice=is_choice,
        answered=confirmed - tally[""],
        unanswered=tally[""],
    )
    if is_choice:
        options = _options(question, translate)
        others = sorted((a for a in tally if a and a not in options), key=swedish_key)
        names = answers.names
        summary.counts = [
            AnswerCount(answer, tally[answer], sorted(names.get(answer, []), key=swedish_key))
            for answer in (*options, *others)
        ]
    elif with_names:
        summary.written = sorted(answers.written, key=lambda pair: swedish_key(pair[0]))
    return summary


def catering_summary(
    session: Session,
    seminar: Seminar,
    *,
    with_names: bool = False,
    translate: Translate = untranslated,
) -> CateringSummary:
    """Counts of catered attendees (`catered`) and their answers: what the organiser sends
    the café.

    Names (and free-text answers) are included only with `with_names`; the caller decides
    who may ask for them and logs that they did.
    """
    questions = list(seminar.questions)
    answers = [_Answers(AnswerColumn.of(question)) for question in questions]
    confirmed = 0
    statement = select(Registration.name, Registration.answers).where(*catered(seminar))
    for name, given in read_streamed(session, statement):
        confirmed += 1
        for question_answers in answers:
            question_answers.add(name, given, with_names, translate)
    return CateringSummary(
        confirmed=confirmed,
        questions=[
            _question_summary(question, question_answers, confirmed, with_names, translate)
            for question, question_answers in zip(questions, answers, strict=True)
        ],
        by_session=_by_session(session, seminar),
    )


def _by_session(session: Session, seminar: Seminar) -> list[tuple[str, str, int]]:
    """How many of those catered are seated in each parallel session."""
    rows = session.execute(
        select(SessionGroup.title, SeminarSession.title, SeminarSession.room, func.count())
        .select_from(SessionChoice)
        .join(SeminarSession, SeminarSession.id == SessionChoice.session_id)
        .join(SessionGroup, SessionGroup.id == SeminarSession.group_id)
        .join(Registration, Registration.id == SessionChoice.registration_id)
        .where(*catered(seminar), SessionChoice.state == ChoiceState.SEATED)
        .where(SessionChoice.wish.is_(False))
        .group_by(
            SessionGroup.position,
            SessionGroup.id,
            SessionGroup.title,
            SeminarSession.position,
            SeminarSession.id,
            SeminarSession.title,
            SeminarSession.room,
        )
        .order_by(SessionGroup.position, SessionGroup.id, SeminarSession.position)
    ).all()
    return [
        (slot, f"{title}, {room}" if room else title, count) for slot, title, room, count in rows
    ]
