"""Password sign-in, second factor, language and country scope, on each backend."""

from __future__ import annotations

import json
import time
from datetime import timedelta

import pyotp
import pytest
from argon2 import PasswordHasher
from sqlalchemy import select, update

from alerts.accounts.administration import set_user_active
from alerts.accounts.users import (
    LOGIN_FAILED,
    active_viewer,
    authenticate_password,
    authenticate_token,
    create_api_token,
    create_user,
    enable_totp,
    list_api_tokens,
    revoke_api_tokens,
    set_user_language,
)
from alerts.audit.trail import verify_chain
from alerts.errors import InvalidCredentials, InvalidValue, UnknownUser
from alerts.messages import Viewer
from alerts.models import ApiToken, AuditEvent, User, utcnow
from app.bootstrap import Services

pytestmark = pytest.mark.integration

PASSWORD = "correct horse battery staple"


def _user(services: Services, email: str) -> User:
    with services.uow() as uow:
        user = uow.session.scalar(select(User).where(User.email == email))
        assert user is not None
        uow.session.expunge(user)
        return user


def _update(services: Services, email: str, **values: object) -> None:
    with services.uow() as uow:
        user = uow.session.scalar(select(User).where(User.email == email))
        for name, value in values.items():
            setattr(user, name, value)
        uow.commit()


def _events(services: Services) -> list[AuditEvent]:
    with services.uow() as uow:
        events = list(uow.session.scalars(select(AuditEvent).order_by(AuditEvent.id)))
        uow.session.expunge_all()
        return events


class TestAuthenticatePassword:
    def test_the_right_password_signs_her_in_with_her_role_countries_and_language(
        self, services: Services
    ) -> None:
        create_user("Amina@Network.org", "triage_reviewer", PASSWORD, uow=services.uow(), countries=["ss"])
        _update(services, "amina@network.org", language="fr")
        viewer = authenticate_password("  AMINA@network.org ", PASSWORD, None, uow=services.uow())
        assert (viewer.email, viewer.role, viewer.countries, viewer.language) == (
            "amina@network.org",
            "triage_reviewer",
            frozenset({"SS"}),
            "fr",
        )

    def test_a_wrong_password_an_unknown_email_and_an_inactive_account_fail_alike(
        self, services: Services
    ) -> None:
        create_user("amina@network.org", "joc_officer", PASSWORD, uow=services.uow())
        create_user("left@network.org", "joc_officer", PASSWORD, uow=services.uow())
        _update(services, "left@network.org", active=False)
        attempts = [
            ("amina@network.org", "wrong password"),
            ("nobody@network.org", PASSWORD),
            ("left@network.org", PASSWORD),
        ]
        messages = []
        for email, password in attempts:
            with pytest.raises(InvalidCredentials) as refused:
                authenticate_password(email, password, None, uow=services.uow())
            messages.append(str(refused.value))
        assert messages == [LOGIN_FAILED] * 3

    def test_with_a_second_factor_she_needs_the_current_code(self, services: Services) -> None:
        create_user("amina@network.org", "wpa_crsv_focal", PASSWORD, uow=services.uow())
        enable_totp("amina@network.org", uow=services.uow())
        totp = pyotp.TOTP(_user(services, "amina@network.org").totp_secret or "")
        wrong = f"{(int(totp.now()) + 500_000) % 1_000_000:06d}"
        for code in (None, "", wrong):
            with pytest.raises(InvalidCredentials, match=LOGIN_FAILED):
                authenticate_password("amina@network.org", PASSWORD, code, uow=services.uow())
        assert authenticate_password("amina@network.org", PASSWORD, totp.now(), uow=services.uow()).role == (
            "wpa_crsv_focal"
        )

    def test_a_code_signs_her_in_once_and_neither_it_nor_an_older_one_works_again(
        self, services: Services
    ) -> None:
        create_user("amina@network.org", "wpa_crsv_focal", PASSWORD, uow=services.uow())
        enable_totp("amina@network.org", uow=services.uow())
        totp = pyotp.TOTP(_user(services, "amina@network.org").totp_secret or "")
        now = time.time()
        current, earlier = totp.at(now), totp.at(now - totp.interval)
        authenticate_password("amina@network.org", PASSWORD, current, uow=services.uow())
        for code in (current, earlier):
            with pytest.raises(InvalidCredentials, match=LOGIN_FAILED):
                authenticate_password("amina@network.org", PASSWORD, code, uow=services.uow())
        refusals = [e.details["reason"] for e in _events(services) if e.action == "user.login_failed"]
        assert refusals[0] == "second_factor_reused"
        ahead = totp.at(now + totp.interval)  # the next step's code: her phone's clock a little fast
        assert authenticate_password("amina@network.org", PASSWORD, ahead, uow=services.uow()).role

    def test_a_right_code_does_not_make_up_for_a_wrong_password(self, services: Services) -> None:
        create_user("amina@network.org", "admin", PASSWORD, uow=services.uow())
        enable_totp("amina@network.org", uow=services.uow())
        code = pyotp.TOTP(_user(services, "amina@network.org").totp_secret or "").now()
        with pytest.raises(InvalidCredentials):
            authenticate_password("amina@network.org", "wrong password", code, uow=services.uow())

    def test_sign_ins_and_failures_are_audited_without_any_password_or_unknown_address(
        self, services: Services
    ) -> None:
        create_user("amina@network.org", "auditor", PASSWORD, uow=services.uow())
        authenticate_password("amina@network.org", PASSWORD, None, uow=services.uow())
        for email, password in (("amina@network.org", "hunter2-typo"), ("my-secret-pass", "x")):
            with pytest.raises(InvalidCredentials):
                authenticate_password(email, password, None, uow=services.uow())
        events = [e for e in _events(services) if e.action.startswith("user.login")]
        user_id = _user(services, "amina@network.org").id
        assert [(e.action, e.subject_id, e.details.get("reason")) for e in events] == [
            ("user.login", str(user_id), None),
            ("user.login_failed", str(user_id), "password"),
            ("user.login_failed", "unknown", "unknown_account"),
        ]
        recorded = json.dumps([[e.actor, e.subject_id, e.details] for e in events])
        for secret in (PASSWORD, "hunter2-typo", "my-secret-pass"):
            assert secret not in recorded
        with services.uow() as uow:
            assert verify_chain(uow.session) is None

    def test_a_hash_made_with_weaker_parameters_is_replaced_at_sign_in(self, services: Services) -> None:
        create_user("amina@network.org", "joc_officer", "placeholder", uow=services.uow())
        weak = PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1).hash(PASSWORD)
        _update(services, "amina@network.org", password_hash=weak)
        authenticate_password("amina@network.org", PASSWORD, None, uow=services.uow())
        stored = _user(services, "amina@network.org").password_hash
        assert stored != weak
        assert not PasswordHasher().check_needs_rehash(stored)
        assert PasswordHasher().verify(stored, PASSWORD)


class TestActiveViewer:
    def test_a_deactivated_or_removed_user_is_no_longer_anyone(self, services: Services) -> None:
        create_user("amina@network.org", "joc_officer", PASSWORD, uow=services.uow())
        user_id = _user(services, "amina@network.org").id
        viewer = active_viewer(user_id, uow=services.uow())
        assert viewer is not None
        assert viewer.email == "amina@network.org"
        _update(services, "amina@network.org", active=False)
        assert active_viewer(user_id, uow=services.uow()) is None
        assert active_viewer(user_id + 1000, uow=services.uow()) is None


class TestApiTokens:
    EMAIL = "api@network.org"

    @pytest.fixture(autouse=True)
    def _account(self, services: Services) -> None:
        create_user(self.EMAIL, "joc_officer", PASSWORD, uow=services.uow())

    def test_a_token_works_for_its_lifetime_records_its_use_and_then_stops(self, services: Services) -> None:
        token, expires_at = create_api_token(self.EMAIL, days=90, uow=services.uow())
        assert timedelta(days=90) - timedelta(minutes=1) < expires_at - utcnow() <= timedelta(days=90)
        assert authenticate_token(token, uow=services.uow()).email == self.EMAIL
        [listed] = list_api_tokens(self.EMAIL, uow=services.uow())
        assert listed["expires_at"] == expires_at
        assert listed["last_used_at"] is not None
        with services.uow() as uow:
            uow.session.execute(update(ApiToken).values(expires_at=utcnow() - timedelta(seconds=1)))
            uow.commit()
        with pytest.raises(InvalidCredentials, match="expired"):
            authenticate_token(token, uow=services.uow())

    def test_one_token_or_all_of_hers_can_be_revoked_for_good(self, services: Services) -> None:
        first, _ = create_api_token(self.EMAIL, days=90, uow=services.uow())
        second, _ = create_api_token(self.EMAIL, days=90, uow=services.uow())
        first_id = list_api_tokens(self.EMAIL, uow=services.uow())[-1]["id"]
        assert revoke_api_tokens(self.EMAIL, token_id=first_id, uow=services.uow()) == [first_id]
        with pytest.raises(InvalidCredentials, match="revoked"):
            authenticate_token(first, uow=services.uow())
        assert authenticate_token(second, uow=services.uow()).email == self.EMAIL
        assert len(revoke_api_tokens(self.EMAIL, uow=services.uow())) == 1
        with pytest.raises(InvalidCredentials):
            authenticate_token(second, uow=services.uow())
        assert [e.action for e in _events(services)].count("token.revoke") == 2
        with pytest.raises(UnknownUser):
            revoke_api_tokens("nobody@network.org", uow=services.uow())

    def test_switching_her_off_revokes_her_tokens_so_switching_her_on_does_not_revive_them(
        self, services: Services
    ) -> None:
        token, _ = create_api_token(self.EMAIL, days=90, uow=services.uow())
        admin = Viewer(0, "admin@network.org", "admin")
        user_id = _user(services, self.EMAIL).id
        set_user_active(admin, user_id, False, uow=services.uow())
        set_user_active(admin, user_id, True, uow=services.uow())
        with pytest.raises(InvalidCredentials):
            authenticate_token(token, uow=services.uow())
        assert list_api_tokens(self.EMAIL, uow=services.uow())[0]["revoked_at"] is not None
        fresh, _ = create_api_token(self.EMAIL, days=90, uow=services.uow())
        assert authenticate_token(fresh, uow=services.uow()).email == self.EMAIL


class TestEnableTotp:
    def test_the_uri_names_dalili_and_her_email_and_holds_the_stored_secret(self, services: Services) -> None:
        create_user("amina@network.org", "joc_officer", PASSWORD, uow=services.uow())
        uri = enable_totp("Amina@Network.org", uow=services.uow())
        parsed = pyotp.parse_uri(uri)
        assert uri.startswith("otpauth://totp/Dalili:amina%40network.org?")
        assert parsed.issuer == "Dalili"
        assert parsed.secret == _user(services, "amina@network.org").totp_secret
        assert [e.action for e in _events(services)][-1] == "user.totp_enable"

    def test_running_it_again_replaces_the_secret(self, services: Services) -> None:
        create_user("amina@network.org", "joc_officer", PASSWORD, uow=services.uow())
        first = pyotp.parse_uri(enable_totp("amina@network.org", uow=services.uow())).secret
        second = pyotp.parse_uri(enable_totp("amina@network.org", uow=services.uow())).secret
        assert first != second
        assert _user(services, "amina@network.org").totp_secret == second

    def test_an_unknown_or_inactive_user_gets_no_secret(self, services: Services) -> None:
        create_user("left@network.org", "joc_officer", PASSWORD, uow=services.uow())
        _update(services, "left@network.org", active=False)
        for email in ("nobody@network.org", "left@network.org"):
            with pytest.raises(UnknownUser):
                enable_totp(email, uow=services.uow())
        assert _user(services, "left@network.org").totp_secret is None


class TestSetUserLanguage:
    def test_her_choice_is_saved_and_comes_back_with_her_viewer(self, services: Services) -> None:
        create_user("amina@network.org", "joc_officer", PASSWORD, uow=services.uow())
        user_id = _user(services, "amina@network.org").id
        set_user_language(user_id, "ar", uow=services.uow())
        viewer = active_viewer(user_id, uow=services.uow())
        assert viewer is not None
        assert viewer.language == "ar"

    def test_only_the_dashboard_languages_are_accepted(self, services: Services) -> None:
        create_user("amina@network.org", "joc_officer", PASSWORD, uow=services.uow())
        user_id = _user(services, "amina@network.org").id
        with pytest.raises(InvalidValue, match="en, fr, ar"):
            set_user_language(user_id, "sw", uow=services.uow())
        with pytest.raises(UnknownUser):
            set_user_language(user_id + 1000, "fr", uow=services.uow())


class TestCreateUserCountries:
    def test_countries_scope_her_in_upper_case_without_repeats(self, services: Services) -> None:
        create_user(
            "amina@network.org", "joc_officer", None, uow=services.uow(), countries=["cf", "SS", " ss"]
        )
        assert _user(services, "amina@network.org").countries == ["CF", "SS"]

    def test_an_email_that_already_has_an_account_is_refused_plainly(self, services: Services) -> None:
        create_user("amina@network.org", "joc_officer", None, uow=services.uow())
        with pytest.raises(InvalidValue, match="already has an account"):
            create_user(" Amina@Network.org", "admin", None, uow=services.uow())
        assert _user(services, "amina@network.org").role == "joc_officer"

    def test_without_countries_she_works_on_every_country_served(self, services: Services) -> None:
        create_user("amina@network.org", "joc_officer", None, uow=services.uow())
        assert _user(services, "amina@network.org").countries == []

    def test_a_country_that_is_not_an_iso_code_is_refused_and_nothing_is_created(
        self, services: Services
    ) -> None:
        with pytest.raises(InvalidValue, match="SOUTH SUDAN"):
            create_user(
                "amina@network.org", "joc_officer", None, uow=services.uow(), countries=["South Sudan"]
            )
        with services.uow() as uow:
            assert uow.session.scalar(select(User).where(User.email == "amina@network.org")) is None
