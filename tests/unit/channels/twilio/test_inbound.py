"""Twilio inbound webhooks, table-driven over payloads written from CHANNELS.md §1-§2 and §6."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from twilio.request_validator import RequestValidator

from channels.errors import ChannelConfigError, PayloadInvalid, SignatureInvalid
from channels.twilio.inbound import EMPTY_TWIML, parse_message, salvage_message, signed_url, verify_signature

pytestmark = pytest.mark.unit

TOKEN = "12345"
URL = "https://reports.example.org/webhooks/twilio/sms"
SHARED_FIXTURES = Path(__file__).resolve().parents[5] / "shared" / "fixtures" / "channels"
SMS = {
    "MessageSid": "SM" + "a" * 32,
    "AccountSid": "AC" + "0" * 32,
    "From": "+211912345678",
    "To": "+211920000000",
    "Body": "SXV Bentiu",
    "NumMedia": "0",
    "ToCity": "",
}


def sign(params: dict[str, str], url: str = URL, token: str = TOKEN) -> dict[str, str]:
    return {"X-Twilio-Signature": RequestValidator(token).compute_signature(url, params)}


class TestVerifySignature:
    def test_twilio_documentation_vector_validates(self) -> None:
        params = {
            "CallSid": "CA1234567890ABCDE",
            "Caller": "+14158675310",
            "Digits": "1234",
            "From": "+14158675310",
            "To": "+18005551212",
        }
        headers = {"X-Twilio-Signature": "L/OH5YylLD5NRKLltdqwSvS0BnU="}
        verify_signature("https://example.com/myapp.php?foo=1&bar=2", params, headers, auth_token=TOKEN)

    def test_a_signed_sms_with_blank_parameters_validates(self) -> None:
        verify_signature(URL, SMS, sign(SMS), auth_token=TOKEN)

    @pytest.mark.parametrize(
        ("label", "headers", "form"),
        [
            ("missing header", {}, SMS),
            ("tampered body", sign(SMS), SMS | {"Body": "SXV Rubkona"}),
            ("blank dropped", sign(SMS), {k: v for k, v in SMS.items() if v}),
            ("other token", sign(SMS, token="54321"), SMS),
            ("other url", sign(SMS, url=URL + "?tenant=x"), SMS),
        ],
    )
    def test_a_bad_signature_is_refused(
        self, label: str, headers: dict[str, str], form: dict[str, str]
    ) -> None:
        with pytest.raises(SignatureInvalid):
            verify_signature(URL, form, headers, auth_token=TOKEN)

    def test_shared_key_scheme_without_a_configured_secret_is_a_config_error(self) -> None:
        headers = sign(SMS) | {"X-Twilio-Webhooks-Signature-Settings": "key=KS1,algorithm=HMAC_SHA256"}
        with pytest.raises(ChannelConfigError):
            verify_signature(URL, SMS, headers, auth_token=TOKEN)

    def test_the_signed_url_keeps_the_raw_query_string(self) -> None:
        url = signed_url("https://reports.example.org/", "/webhooks/twilio/sms", "tenant=caf%C3%A9&x=%7E")
        assert url == "https://reports.example.org/webhooks/twilio/sms?tenant=caf%C3%A9&x=%7E"


MEDIA = "https://api.twilio.com/m/ME1"
FRENCH = "Hommes armés près de l’école, ça chauffe"


def without(name: str) -> dict[str, str]:
    return {k: v for k, v in SMS.items() if k != name}


@dataclass
class Case:
    label: str
    form: dict[str, str]
    channel: str = "sms"
    content: dict[str, object] = field(default_factory=dict)
    error: str = ""


CASES = [
    Case("plain sms", SMS, content={"text": "SXV Bentiu"}),
    Case("french accents", SMS | {"Body": FRENCH}, content={"text": FRENCH}),
    Case("arabic", SMS | {"Body": "رجال مسلحون قرب السوق"}, content={"text": "رجال مسلحون قرب السوق"}),
    Case("media only, no Body",
         without("Body") | {"NumMedia": "1", "MediaUrl0": MEDIA, "MediaContentType0": "image/jpeg"},
         content={"text": "", "media": [{"url": MEDIA, "content_type": "image/jpeg"}]}),
    Case("whatsapp location pin", SMS | {"From": "whatsapp:+211912345678", "Body": "",
         "Latitude": "9.2333", "Longitude": "29.7833", "WaId": "211912345678"},
         channel="whatsapp", content={"text": "", "lat": 9.2333, "lon": 29.7833}),
    Case("missing MessageSid", without("MessageSid"), error="'MessageSid' required"),
    Case("only the deprecated SmsSid", without("MessageSid") | {"SmsSid": "SM" + "b" * 32},
         content={"text": "SXV Bentiu"}),
    Case("blank MessageSid", SMS | {"MessageSid": " "}, error="'MessageSid' required"),
    Case("missing From", without("From"), error="'From' required"),
    Case("oversized MessageSid", SMS | {"MessageSid": "SM" + "9" * 200}, error="longer than"),
    Case("half a location", SMS | {"Latitude": "9.2"}, error="Latitude"),
    Case("location off the globe", SMS | {"Latitude": "99", "Longitude": "29"}, error="outside"),
    Case("NumMedia not a number", SMS | {"NumMedia": "two"}, error="NumMedia"),
    Case("ten media, Twilio's most", SMS | {"NumMedia": "10"},
         content={"text": "SXV Bentiu", "media": [{"url": "", "content_type": ""}] * 10}),
    Case("NumMedia past Twilio's 10", SMS | {"NumMedia": "11"},
         error="field 'NumMedia' must be a whole number from 0 to 10"),
    Case("NumMedia in the millions", SMS | {"NumMedia": "100000000"}, error="from 0 to 10"),
    Case("NumMedia negative", SMS | {"NumMedia": "-1"}, error="from 0 to 10"),
    Case("NumSegments past an SMS's 255 parts", SMS | {"NumSegments": "256"},
         error="field 'NumSegments' must be a whole number from 0 to 255"),
    Case("NumSegments of 5,000 digits", SMS | {"NumSegments": "9" * 5000}, error="from 0 to 255"),
]  # fmt: skip


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.label)
def test_inbound_payloads(case: Case) -> None:
    if case.error:
        with pytest.raises(PayloadInvalid, match=case.error):
            parse_message(case.form, pepper="p", default_region="SS")
        return
    parsed = parse_message(case.form, pepper="p", default_region="SS")
    assert parsed.channel == case.channel
    assert parsed.content == case.content
    assert parsed.provider_message_id == case.form.get("MessageSid", case.form.get("SmsSid"))
    stored = json.dumps(parsed.payload, ensure_ascii=False)
    assert "912345678" not in stored, "the sender's number must not survive parsing"
    assert parsed.payload["From"] == parsed.reporter_key


def test_a_malformed_message_is_salvaged_without_the_number() -> None:
    form = {k: v for k, v in SMS.items() if k != "MessageSid"}
    first = salvage_message(form, "field 'MessageSid' required", pepper="p", default_region="SS")
    again = salvage_message(form, "field 'MessageSid' required", pepper="p", default_region="SS")
    assert first.provider_message_id == again.provider_message_id  # a replay is caught as a duplicate
    assert first.content["text"] == "SXV Bentiu"
    assert "912345678" not in json.dumps(first.payload)


def test_the_empty_reply_is_the_twiml_twilio_expects() -> None:
    assert EMPTY_TWIML == '<?xml version="1.0" encoding="UTF-8"?><Response />'


def _shared_inbound_fixtures() -> list[dict[str, object]]:
    if not SHARED_FIXTURES.is_dir():
        return []
    paths = sorted(SHARED_FIXTURES.glob("twilio_*inbound*.json")) + sorted(
        SHARED_FIXTURES.glob("extra/twilio_*inbound*.json")
    )
    documents = [json.loads(p.read_text()) for p in paths]
    return [d for d in documents if "signature_example" in d["request"]]  # type: ignore[operator]


@pytest.mark.skipif(not SHARED_FIXTURES.is_dir(), reason="../shared/fixtures/channels not available")
@pytest.mark.parametrize("fixture", _shared_inbound_fixtures(), ids=lambda d: str(d["name"]))
def test_shared_reference_payloads_verify_and_parse_or_fail_precisely(fixture: dict[str, object]) -> None:
    request = fixture["request"]
    assert isinstance(request, dict)
    example = request["signature_example"]
    params = request["params"]
    verify_signature(example["url"], params, {"X-Twilio-Signature": example["X-Twilio-Signature"]},
                     auth_token=example["auth_token"])  # fmt: skip
    if fixture.get("expected", {}).get("http_status") == 400:  # type: ignore[attr-defined]
        with pytest.raises(PayloadInvalid, match="required"):
            parse_message(params, pepper="p", default_region="SS")
        return
    parsed = parse_message(params, pepper="p", default_region="SS")
    assert parsed.reporter_key not in ("", None)
    assert params["From"].removeprefix("whatsapp:") not in json.dumps(parsed.payload)
