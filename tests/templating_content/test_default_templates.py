"""Structural checks of the built-in default templates (templating/defaults/).

Plain Jinja2 only: a SandboxedEnvironment over the files with simple stand-ins for the
service's filters, so these tests need neither the database nor the service's renderer.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from decimal import Decimal
from pathlib import Path

import pytest
from jinja2 import ChainableUndefined, ChoiceLoader, DictLoader, FileSystemLoader, StrictUndefined
from jinja2.sandbox import SandboxedEnvironment

REPO = Path(__file__).resolve().parents[2]
DEFAULTS = REPO / "templating" / "defaults"
CATALOGUE = json.loads((REPO / "subjects" / "catalogue" / "catalogue.json").read_text())
THEMES = {t["theme"]: t for t in CATALOGUE["themes"]}
SUBJECTS = [s for s in CATALOGUE["subjects"] if not s["isFreeForm"]]
SUBJECT_NAMES = [s["subject"] for s in SUBJECTS]
COLLECTION = [s["subject"] for s in SUBJECTS if s["theme"] and THEMES[s["theme"]]["isDebtCollection"]]

MINI_MIRANDA = (
    "This is an attempt to collect a debt and any information obtained will be used for that "
    "purpose. This communication is from a debt collector."
)
SMS_OPT_OUT = "Reply STOP to opt out."
EMAIL_OPT_OUT = "To stop receiving emails from us"
GSM7 = set(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    "ÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)

LETTER_SUBJECTS = sorted(
    {s["subject"] for s in SUBJECTS if s["theme"] == "opsServicingDebtValidation"}
    | {
        s["subject"]
        for s in SUBJECTS
        if s["subject"].startswith(
            ("ceaseCommunication", "deceased", "disputeOfDebt", "identityTheft", "militaryDuty")
        )
    }
    | {
        "timeBarredDebtNotice",
        "creditNegativeInfoReported",
        "loanAccelerated",
        "loanChargedOff",
        "loanOverdueThirdNotice",
        "settlementAgreement",
        "annualPrivacyPolicyNotice",
        "payoffStatement",
        "statementGenerated",
        "loanTermsChanged",
    }
)


# --------------------------------------------------------------------------- environment


def _currency(value) -> str:  # noqa: ANN001
    return f"${Decimal(str(value)):,.2f}"


def _as_date(value):  # noqa: ANN001, ANN202
    if isinstance(value, dt.date):
        return value
    text = str(value)
    return dt.datetime.fromisoformat(text) if "T" in text else dt.date.fromisoformat(text)


def _date(value, fmt: str = "%B %-d, %Y") -> str:  # noqa: ANN001
    return _as_date(value).strftime(fmt)


def _datetime(value, tz: str | None = None, fmt: str = "%B %-d, %Y %-I:%M %p") -> str:  # noqa: ANN001
    from zoneinfo import ZoneInfo

    moment = _as_date(value)
    if tz:
        moment = moment.astimezone(ZoneInfo(tz))
    return moment.strftime(fmt)


def _last_four(value) -> str:  # noqa: ANN001
    return str(value)[-4:]


def make_env(flavour: str, extra: dict[str, str] | None = None) -> SandboxedEnvironment:
    """``plain``: Jinja's defaults. ``service``: the settings the service renders with
    (trim_blocks, lstrip_blocks, chainable undefined, None rendered empty). ``strict``:
    StrictUndefined, as a strict render."""
    options: dict = {}
    if flavour == "service":
        options = {
            "trim_blocks": True,
            "lstrip_blocks": True,
            "undefined": ChainableUndefined,
            "finalize": lambda value: "" if value is None else value,
        }
    elif flavour == "strict":
        options = {"trim_blocks": True, "lstrip_blocks": True, "undefined": StrictUndefined}
    loader = FileSystemLoader(str(DEFAULTS))
    if extra:
        loader = ChoiceLoader([DictLoader(extra), loader])
    environment = SandboxedEnvironment(
        loader=loader,
        autoescape=lambda name: bool(name) and name.endswith(".html"),
        **options,
    )
    environment.filters.update(
        currency=_currency,
        date=_date,
        datetime=_datetime,
        lastFour=_last_four,
        phone=lambda value, region=None: str(value),  # the samples are national already
        title=lambda value: str(value).title(),
    )
    return environment


ENVS = {flavour: make_env(flavour) for flavour in ("plain", "service")}


@pytest.fixture(scope="module", params=["plain", "service"])
def env(request: pytest.FixtureRequest) -> SandboxedEnvironment:
    return ENVS[request.param]


# --------------------------------------------------------------------------- contexts

COMPANY = {
    "id": "CP-1",
    "name": "Peach Lending",
    "brandName": "Peach Lending",
    "legalName": "Peach Lending LLC",
    "domainName": "peachlending.example",
    "timezone": "America/New_York",
    "supportPhone": "(800) 555-0100",
    "supportEmail": "help@peachlending.example",
    "helpText": "",
    "mailingAddress": {
        "addressLine1": "100 Main Street",
        "addressLine2": "Suite 400",
        "city": "Atlanta",
        "state": "GA",
        "postalCode": "30303",
        "country": "US",
    },
}
SAMPLE = {
    "company": COMPANY,
    "person": {
        "id": "BO-1",
        "displayId": "B-10023",
        "borrowerType": "person",
        "name": {"firstName": "Jane", "middleName": None, "lastName": "Doe", "preferredFirstName": None},
        "businessName": None,
        "timezone": None,
        "metaData": {},
    },
    "contact": {
        "id": "CT-1",
        "contactType": "address",
        "value": None,
        "address": {
            "addressLine1": "42 Elm Street",
            "addressLine2": None,
            "city": "Springfield",
            "state": "IL",
            "postalCode": "62704",
            "country": "US",
        },
    },
    "loan": {
        "id": "LN-1",
        "displayId": "100045678",
        "status": "active",
        "amountDue": "1234.50",
        "dueDate": "2026-12-01",
        "daysPastDue": 17,
        "productName": "personal loan",
        "metaData": {},
    },
    "loans": [],
    "case": {
        "id": "CS-9",
        "caseType": "disputeOfDebt",
        "status": "processing",
        "outcome": None,
        "metaData": {},
    },
    "actionUrl": "https://app.peachlending.example/pay",
    "paymentAmount": "250.00",
    "paymentDate": "2026-11-20",
    "paymentMethod": "checking account ending in 6789",
    "referenceNumber": "PMT-3381",
    "reason": "insufficient funds",
    "details": "We reviewed the account history and the signed agreement.",
    "effectiveDate": "2026-12-15",
    "confirmationCode": "482913",
    "payoffAmount": "5120.77",
    "payoffDate": "2026-12-10",
    "settlementAmount": "1500.00",
    "settlementDueDate": "2026-12-31",
    "creditorName": "Peach Lending LLC",
    "itemizationDate": "2026-06-30",
    "amountOnItemizationDate": "1100.00",
    "interest": "84.50",
    "fees": "50.00",
    "payments": "0.00",
    "credits": "0.00",
    "validationEndDate": "2027-01-09",
    "licenseNumber": "2098765",
    "letterDate": "2026-12-02",
}
BUSINESS = {
    **SAMPLE,
    "person": {"id": "BO-2", "borrowerType": "business", "businessName": "Doe Bakery LLC", "name": None},
    "company": {**COMPANY, "brandName": "Peach & Co", "mailingAddress": {}, "supportPhone": ""},
}
MINIMAL = {"company": COMPANY}
BARE = {
    "company": {
        "id": "CP-2",
        "name": "Bare Co",
        "brandName": "",
        "legalName": "",
        "supportPhone": "",
        "supportEmail": "",
        "mailingAddress": {},
    }
}
CONTEXTS = {"sample": SAMPLE, "business": BUSINESS, "minimal": MINIMAL, "bare": BARE}


def render(env: SandboxedEnvironment, subject: str, name: str, context: dict) -> str:
    return env.get_template(f"subjects/{subject}/{name}").render(context)


def subject_files(subject: str) -> list[str]:
    return sorted(p.name for p in (DEFAULTS / "subjects" / subject).iterdir())


BASE_LAYOUTS = ("email.html", "email.txt", "text.txt", "letter.html")
EXTENDS = re.compile(r'\{% extends "layouts/([^"]+)" %\}')


def base_layout(source: str) -> str | None:
    """The base layout a template extends, following shared layouts that extend a base one
    (e.g. ``layouts/debt_validation_email.html`` → ``layouts/email.html``)."""
    seen: set[str] = set()
    while (match := EXTENDS.search(source)) is not None:
        name = match.group(1)
        if name in BASE_LAYOUTS or name in seen:
            return name
        seen.add(name)
        source = (DEFAULTS / "layouts" / name).read_text()
    return None


# --------------------------------------------------------------------------- tests


def test_catalogue_has_the_62_templated_subjects() -> None:
    assert len(SUBJECT_NAMES) == 62
    assert len(LETTER_SUBJECTS) == 32


def test_layouts_exist() -> None:
    for name in ("email.html", "email.txt", "text.txt", "letter.html"):
        assert (DEFAULTS / "layouts" / name).is_file(), name


@pytest.mark.parametrize("subject", SUBJECT_NAMES)
def test_every_subject_has_its_files(subject: str) -> None:
    files = set(subject_files(subject))
    assert {"email.subject", "email.html", "email.txt", "text.txt"} <= files
    if subject in LETTER_SUBJECTS:
        assert "mail.html" in files
    layouts = {
        "email.html": "email.html",
        "email.txt": "email.txt",
        "text.txt": "text.txt",
        "mail.html": "letter.html",
    }
    for name, layout in layouts.items():
        if name in files:
            source = (DEFAULTS / "subjects" / subject / name).read_text()
            assert base_layout(source) == layout, name


@pytest.mark.parametrize("context_name", sorted(CONTEXTS))
@pytest.mark.parametrize("subject", SUBJECT_NAMES)
def test_every_file_renders(env: SandboxedEnvironment, subject: str, context_name: str) -> None:
    for name in subject_files(subject):
        out = render(env, subject, name, CONTEXTS[context_name])
        assert out.strip(), name
        for leak in ("None", "Undefined", "{{", "{%"):
            assert leak not in out, f"{name}: {leak!r} in output"


@pytest.mark.parametrize("context_name", sorted(CONTEXTS))
@pytest.mark.parametrize("subject", SUBJECT_NAMES)
def test_text_message(env: SandboxedEnvironment, subject: str, context_name: str) -> None:
    out = render(env, subject, "text.txt", CONTEXTS[context_name])
    assert len(out) <= 320, out
    assert out.endswith(SMS_OPT_OUT), out
    assert "\n" not in out and "  " not in out, out
    assert not set(out) - GSM7, f"not GSM-7: {set(out) - GSM7}"


@pytest.mark.parametrize("subject", SUBJECT_NAMES)
def test_subject_line_is_one_line(env: SandboxedEnvironment, subject: str) -> None:
    assert not (DEFAULTS / "subjects" / subject / "email.subject").read_text().endswith("\n")
    for context in CONTEXTS.values():
        out = render(env, subject, "email.subject", context)
        assert out.strip() and "\n" not in out and len(out) <= 90, out


@pytest.mark.parametrize("context_name", sorted(CONTEXTS))
@pytest.mark.parametrize("subject", [*SUBJECT_NAMES, "freeFormBranded"])
def test_emails_carry_the_opt_out_line(env: SandboxedEnvironment, subject: str, context_name: str) -> None:
    context = {**CONTEXTS[context_name], "contentHtml": "<p>Hi</p>", "contentPlain": "Hi"}
    for name in ("email.html", "email.txt"):
        assert EMAIL_OPT_OUT in render(env, subject, name, context), name


@pytest.mark.parametrize("subject", SUBJECT_NAMES)
def test_plain_text_email_has_no_markup_or_gaps(env: SandboxedEnvironment, subject: str) -> None:
    for context in CONTEXTS.values():
        out = render(env, subject, "email.txt", context)
        assert "<" not in out and "&amp;" not in out
        assert "\n\n\n" not in out, out


@pytest.mark.parametrize("subject", COLLECTION)
def test_collection_content_carries_the_disclosure_and_stays_neutral(
    env: SandboxedEnvironment, subject: str
) -> None:
    for context in CONTEXTS.values():
        for name in ("email.html", "email.txt", "mail.html"):
            if name in subject_files(subject):
                assert MINI_MIRANDA in render(env, subject, name, context), name
        line = render(env, subject, "email.subject", context)
        assert not re.search(r"debt|collect|past due|overdue|\$", line, re.IGNORECASE), line
        sms = render(env, subject, "text.txt", context)
        assert "debt collector" in sms
        body = sms.split(" This is a communication from a debt collector.")[0]
        assert not re.search(r"debt|collect|past due|overdue|\$", body, re.IGNORECASE), sms


@pytest.mark.parametrize("subject", LETTER_SUBJECTS)
def test_letters_are_letter_sized_and_self_contained(env: SandboxedEnvironment, subject: str) -> None:
    sources = [
        (DEFAULTS / "subjects" / subject / "mail.html").read_text(),
        (DEFAULTS / "layouts" / "letter.html").read_text(),
    ]
    assert re.search(r"@page\s*\{[^}]*size:\s*letter", sources[1])
    outputs = [render(env, subject, "mail.html", context) for context in CONTEXTS.values()]
    for text in sources + outputs:
        low = text.lower()
        assert "http" not in low
        assert "<link" not in low
        assert "url(" not in low
        assert not re.search(r"<img[^>]+src\s*=\s*[\"']?(?!data:)", low)
    for out in outputs:
        assert re.search(r"@page\s*\{[^}]*size:\s*letter", out)
        assert "Helvetica" in out


def test_free_form_branded(env: SandboxedEnvironment) -> None:
    files = set(subject_files("freeFormBranded"))
    assert files == {"email.subject", "email.html", "email.txt"}
    context = {
        **SAMPLE,
        "subjectLine": "A note from us",
        "contentHtml": "<p>Hello <b>Jane</b></p>",
        "contentPlain": "Hello Jane",
    }
    assert render(env, "freeFormBranded", "email.subject", context) == "A note from us"
    html = render(env, "freeFormBranded", "email.html", context)
    assert "<p>Hello <b>Jane</b></p>" in html and "Peach Lending" in html
    text = render(env, "freeFormBranded", "email.txt", context)
    assert text.startswith("Hello Jane") and EMAIL_OPT_OUT in text
    for context in (MINIMAL, BARE):
        for name in files:
            assert "None" not in render(env, "freeFormBranded", name, context)


def test_html_is_autoescaped_and_text_is_not(env: SandboxedEnvironment) -> None:
    html = render(env, "welcome", "email.html", BUSINESS)
    text = render(env, "welcome", "email.txt", BUSINESS)
    assert "Peach &amp; Co" in html and "Peach & Co" not in html
    assert "Peach & Co" in text


def test_greeting_uses_preferred_first_name(env: SandboxedEnvironment) -> None:
    person = {**SAMPLE["person"], "name": {**SAMPLE["person"]["name"], "preferredFirstName": "Janie"}}
    assert "Hello Janie," in render(env, "welcome", "email.txt", {**SAMPLE, "person": person})
    assert "Hello Jane," in render(env, "welcome", "email.txt", SAMPLE)
    assert render(env, "welcome", "email.txt", MINIMAL).startswith("Hello,")


def test_action_url_must_be_https(env: SandboxedEnvironment) -> None:
    out = render(env, "paymentDueReminder", "email.html", {**SAMPLE, "actionUrl": "javascript:alert(1)"})
    assert "javascript:" not in out
    out = render(env, "paymentDueReminder", "email.html", SAMPLE)
    assert 'href="https://app.peachlending.example/pay"' in out


def test_confirmation_code(env: SandboxedEnvironment) -> None:
    sms = render(env, "confirmationCode", "text.txt", SAMPLE)
    assert "482913" in sms and "10 minutes" in sms and len(sms) <= 160
    assert "482913" in render(env, "confirmationCode", "email.html", SAMPLE)


def test_time_barred_disclosure(env: SandboxedEnvironment) -> None:
    disclosure = (
        "The law limits how long you can be sued on a debt. Because of the age of your debt, "
        "we will not sue you for it."
    )
    for name in ("email.html", "email.txt", "mail.html"):
        assert disclosure in render(env, "timeBarredDebtNotice", name, SAMPLE)


def test_validation_notice_itemization(env: SandboxedEnvironment) -> None:
    for name in ("email.txt", "mail.html"):
        out = render(env, "debtValidationNotice", name, SAMPLE)
        for expected in ("June 30, 2026", "$1,100.00", "$84.50", "$50.00", "$1,234.50", "January 9, 2027"):
            assert expected in out, (name, expected)


@pytest.mark.parametrize("subject", [*SUBJECT_NAMES, "freeFormBranded"])
def test_text_output_does_not_depend_on_whitespace_settings(subject: str) -> None:
    """The .txt and .subject files read the same with or without trim_blocks/lstrip_blocks."""
    plain, service = ENVS["plain"], ENVS["service"]
    for name in subject_files(subject):
        if name.endswith(".html"):
            continue
        for context in CONTEXTS.values():
            assert (
                render(plain, subject, name, context).strip()
                == render(service, subject, name, context).strip()
            )


HYDRATED_EMPTY = {
    "company": COMPANY,
    "person": None,
    "contact": None,
    "loan": None,
    "loans": [],
    "case": None,
    "statement": None,
}


@pytest.mark.parametrize("layout", ["email.html", "email.txt", "text.txt", "letter.html"])
@pytest.mark.parametrize("context_name", ["sample", "hydrated-empty"])
def test_layouts_render_in_strict_mode(layout: str, context_name: str) -> None:
    """A layout must not be the reason a strict render fails: it reads optional data only
    through |default or `is defined`."""
    child = f'{{% extends "layouts/{layout}" %}}{{% block content %}}Body{{% endblock %}}'
    environment = make_env("strict", {f"child/{layout}": child})
    context = SAMPLE if context_name == "sample" else HYDRATED_EMPTY
    out = environment.get_template(f"child/{layout}").render(context)
    assert "Body" in out
