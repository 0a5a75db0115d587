"""The dashboard's shell through Flask's test client: sign-in, sessions, CSRF, roles, language, headers."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import replace

import pyotp
import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from alerts.accounts.administration import set_user_active
from alerts.accounts.users import enable_totp
from alerts.messages import Viewer
from alerts.models import User
from app.bootstrap import Services
from app.web.access import SIGNED_IN_AT, current_viewer, requires_roles
from app.web.headers import CONTENT_SECURITY_POLICY, STRICT_TRANSPORT_SECURITY
from app.web.throttle import ADDRESS_FAILURE_LIMIT, FAILURE_LIMIT
from config.settings import Settings
from tests.web import PAGE, PASSWORD, add_user, csrf_token, post_form, sign_in

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("compiled_translations")]


def _user(services: Services, email: str) -> User:
    with services.uow() as uow:
        user = uow.session.scalar(select(User).where(User.email == email))
        assert user is not None
        uow.session.expunge(user)
        return user


class TestSignIn:
    def test_the_start_sends_a_visitor_to_sign_in_and_her_to_the_queue(
        self, client: FlaskClient, services: Services
    ) -> None:
        assert client.get("/").headers["Location"] == "/login"
        sign_in(client, add_user(services, "joc_officer"))
        assert client.get("/").headers["Location"] == "/queue"

    def test_the_right_password_starts_a_session_that_shows_her_email_and_role(
        self, client: FlaskClient, services: Services
    ) -> None:
        email = add_user(services, "triage_reviewer")
        response = sign_in(client, email.upper())
        assert (response.status_code, response.headers["Location"]) == (302, "/queue")
        page = client.get("/queue", headers=PAGE).get_data(as_text=True)
        assert email in page
        assert 'data-role="triage_reviewer">Triage reviewer<' in page
        assert "Sign out" in page

    def test_she_goes_back_to_the_page_she_asked_for_but_never_to_another_site(
        self, client: FlaskClient, services: Services
    ) -> None:
        email = add_user(services, "joc_officer")
        assert (
            sign_in(client, email, next_path="/stale?country=SS").headers["Location"] == "/stale?country=SS"
        )
        for outside in ("//evil.example/x", "https://evil.example/", "/\\evil.example", "/%09/evil.example"):
            visitor = client.application.test_client()
            assert sign_in(visitor, email, next_path=outside).headers["Location"] == "/queue"

    def test_a_wrong_password_shows_one_message_whatever_was_wrong(
        self, client: FlaskClient, services: Services
    ) -> None:
        email = add_user(services, "joc_officer")
        pages = [
            sign_in(client, email, "not her password"),
            sign_in(client, "nobody@test.dalili.org"),
        ]
        for page in pages:
            assert page.status_code == 200
            assert "Wrong email, password or code." in page.get_data(as_text=True)
        assert pages[0].get_data(as_text=True).count("Wrong email") == 1

    def test_a_second_factor_is_asked_for_with_the_same_message(
        self, client: FlaskClient, services: Services
    ) -> None:
        email = add_user(services, "wpa_crsv_focal")
        secret = pyotp.parse_uri(enable_totp(email, uow=services.uow())).secret
        assert "Wrong email, password or code." in sign_in(client, email).get_data(as_text=True)
        assert sign_in(client, email, code=pyotp.TOTP(secret).now()).headers["Location"] == "/queue"

    def test_the_sign_in_page_links_the_simulator_only_in_training(
        self, client: FlaskClient, backend_settings: Settings, make_app: Callable[[Settings], Flask]
    ) -> None:
        assert 'href="/simulator"' in client.get("/login").get_data(as_text=True)
        production = make_app(replace(backend_settings, training=False))
        assert "/simulator" not in production.test_client().get("/login").get_data(as_text=True)


class TestThrottling:
    def test_the_sixth_attempt_on_one_email_from_one_address_is_refused_even_with_the_right_password(
        self, client: FlaskClient, services: Services
    ) -> None:
        email = add_user(services, "joc_officer")
        for _ in range(FAILURE_LIMIT):
            assert sign_in(client, email, "guess", address="10.0.0.1").status_code == 200
        refused = sign_in(client, email, address="10.0.0.1")
        assert refused.status_code == 429
        assert 0 < int(refused.headers["Retry-After"]) <= 15 * 60
        assert "Wait 15 minutes" in refused.get_data(as_text=True)
        assert sign_in(client, add_user(services, "admin"), address="10.0.0.1").status_code == 302

    def test_guessing_her_password_from_elsewhere_does_not_lock_her_out(
        self, client: FlaskClient, services: Services
    ) -> None:
        email = add_user(services, "joc_officer")
        attacker = client.application.test_client()
        for address in ("10.0.0.1", "10.0.0.2"):
            for _ in range(FAILURE_LIMIT):
                sign_in(attacker, email, "guess", address=address)
            assert sign_in(attacker, email, address=address).status_code == 429
        assert sign_in(client, email, address="10.9.9.9").status_code == 302

    def test_one_address_guessing_many_emails_is_stopped_and_a_success_does_not_reset_it(
        self, client: FlaskClient, services: Services
    ) -> None:
        mine = add_user(services, "joc_officer")
        for attempt in range(ADDRESS_FAILURE_LIMIT - 1):
            sign_in(client, f"guess{attempt}@test.dalili.org", address="10.1.1.1")
        assert sign_in(client, mine, address="10.1.1.1").status_code == 302
        client.post("/logout", data={"csrf_token": csrf_token(client)}, headers=PAGE)
        sign_in(client, "guess-last@test.dalili.org", address="10.1.1.1")
        assert sign_in(client, mine, address="10.1.1.1").status_code == 429
        assert sign_in(client, mine, address="10.2.2.2").status_code == 302

    def test_a_successful_sign_in_forgets_the_failures_of_her_email_from_there(
        self, client: FlaskClient, services: Services
    ) -> None:
        email = add_user(services, "joc_officer")
        for _ in range(FAILURE_LIMIT - 1):
            sign_in(client, email, "typo", address="10.3.0.1")
        assert sign_in(client, email, address="10.3.0.1").status_code == 302
        visitor = client.application.test_client()
        for _ in range(FAILURE_LIMIT - 1):
            sign_in(visitor, email, "typo", address="10.3.0.1")
        assert sign_in(visitor, email, address="10.3.0.1").status_code == 302


class TestSessions:
    def test_signing_out_takes_a_post_with_a_token(self, client: FlaskClient, services: Services) -> None:
        sign_in(client, add_user(services, "joc_officer"))
        assert client.get("/logout", headers=PAGE).status_code == 405
        assert client.post("/logout", headers=PAGE).status_code == 400
        signed_out = post_form(client, "/logout", {})
        assert signed_out.headers["Location"] == "/login"
        assert client.get("/").headers["Location"] == "/login"
        assert "You are signed out." in client.get("/login").get_data(as_text=True)

    def test_a_copy_of_her_session_cookie_is_worthless_once_she_signed_out(
        self, client: FlaskClient, services: Services
    ) -> None:
        sign_in(client, add_user(services, "joc_officer"))
        stolen = client.get_cookie("session")
        assert stolen is not None
        other_device = client.application.test_client()
        sign_in(other_device, "joc_officer@test.dalili.org")
        post_form(client, "/logout", {})
        client.set_cookie("session", stolen.value)
        assert client.get("/").headers["Location"] == "/login"
        assert other_device.get("/").headers["Location"] == "/login"  # signed out everywhere
        sign_in(client, "joc_officer@test.dalili.org")
        assert client.get("/").headers["Location"] == "/queue"

    def test_switching_her_off_and_on_again_does_not_bring_her_session_back(
        self, client: FlaskClient, services: Services
    ) -> None:
        sign_in(client, add_user(services, "joc_officer"))
        user_id = _user(services, "joc_officer@test.dalili.org").id
        admin = Viewer(0, "admin@test.dalili.org", "admin")
        set_user_active(admin, user_id, False, uow=services.uow())
        set_user_active(admin, user_id, True, uow=services.uow())
        assert client.get("/").headers["Location"] == "/login"

    def test_a_new_second_factor_ends_the_sessions_opened_before(
        self, client: FlaskClient, services: Services
    ) -> None:
        sign_in(client, add_user(services, "joc_officer"))
        enable_totp("joc_officer@test.dalili.org", uow=services.uow())
        assert client.get("/").headers["Location"] == "/login"

    def test_a_deactivated_user_is_signed_out_at_her_next_request(
        self, client: FlaskClient, services: Services
    ) -> None:
        email = add_user(services, "joc_officer")
        sign_in(client, email)
        with services.uow() as uow:
            uow.session.scalars(select(User).where(User.email == email)).one().active = False
            uow.commit()
        assert client.get("/").headers["Location"] == "/login"

    def test_a_session_ends_twelve_hours_after_sign_in_however_active_she_is(
        self, client: FlaskClient, services: Services
    ) -> None:
        sign_in(client, add_user(services, "joc_officer"))
        with client.session_transaction() as session:
            session[SIGNED_IN_AT] = int(time.time()) - 12 * 3600 + 60
        assert client.get("/").headers["Location"] == "/queue"
        with client.session_transaction() as session:
            session[SIGNED_IN_AT] = int(time.time()) - 12 * 3600 - 1
        assert client.get("/").headers["Location"] == "/login"

    def test_signing_in_starts_a_new_session_without_what_was_planted_before(
        self, client: FlaskClient, services: Services
    ) -> None:
        email = add_user(services, "joc_officer")
        with client.session_transaction() as session:
            session["planted"] = "by someone else"
        sign_in(client, email)
        with client.session_transaction() as session:
            assert "planted" not in session
            assert session.permanent

    def test_cookies_are_http_only_same_site_and_secure_in_production(
        self, backend_settings: Settings, make_app: Callable[[Settings], Flask]
    ) -> None:
        for settings, secure in (
            (backend_settings, False),
            (replace(backend_settings, env="production"), True),
        ):
            response = make_app(settings).test_client().get("/login")
            cookie = response.headers["Set-Cookie"]
            assert "HttpOnly" in cookie
            assert "SameSite=Lax" in cookie
            assert ("Secure" in cookie) is secure


class TestRoles:
    @pytest.fixture
    def guarded(self, app: Flask) -> FlaskClient:
        """The app with a page for administrators only, built as the other pages are."""

        @requires_roles("admin")
        def settings_page() -> str:
            return f"settings for {current_viewer().email}"

        app.add_url_rule("/guarded", view_func=settings_page)
        return app.test_client()

    def test_a_visitor_is_sent_to_sign_in_and_brought_back(
        self, guarded: FlaskClient, services: Services
    ) -> None:
        response = guarded.get("/guarded?tab=users", headers=PAGE)
        assert response.headers["Location"] == "/login?next=/guarded?tab%3Dusers"
        assert (
            sign_in(guarded, add_user(services, "admin"), next_path="/guarded").headers["Location"]
            == "/guarded"
        )
        assert guarded.get("/guarded").get_data(as_text=True) == "settings for admin@test.dalili.org"

    def test_another_role_gets_the_403_page(self, guarded: FlaskClient, services: Services) -> None:
        sign_in(guarded, add_user(services, "joc_officer"))
        refused = guarded.get("/guarded", headers=PAGE)
        assert refused.status_code == 403
        assert "Not available to your role" in refused.get_data(as_text=True)

    def test_a_role_that_does_not_exist_is_a_programming_error(self) -> None:
        with pytest.raises(ValueError, match="requires_roles"):
            requires_roles("administrator")

    def test_the_header_links_only_the_pages_of_her_role(
        self, client: FlaskClient, services: Services
    ) -> None:
        sign_in(client, add_user(services, "admin"))
        page = client.get("/queue", headers=PAGE).get_data(as_text=True)
        assert 'href="/admin"' in page
        assert 'href="/indicators"' in page
        assert 'href="/queue"' not in page


class TestLanguage:
    def test_a_visitor_gets_her_browsers_language_then_english(self, client: FlaskClient) -> None:
        french = client.get("/login", headers={"Accept-Language": "fr-CD,fr;q=0.9,en;q=0.5"})
        assert '<html lang="fr" dir="ltr">' in french.get_data(as_text=True)
        assert "Se connecter" in french.get_data(as_text=True)
        swahili = client.get("/login", headers={"Accept-Language": "sw"})
        assert '<html lang="en" dir="ltr">' in swahili.get_data(as_text=True)

    def test_arabic_is_right_to_left_and_saved_on_her_account(
        self, client: FlaskClient, services: Services
    ) -> None:
        email = add_user(services, "joc_officer")
        sign_in(client, email)
        switched = post_form(client, "/language", {"language": "ar", "next": "/queue"})
        assert switched.headers["Location"] == "/queue"
        page = client.get("/queue", headers=PAGE).get_data(as_text=True)
        assert '<html lang="ar" dir="rtl">' in page
        assert "تسجيل الخروج" in page
        assert _user(services, email).language == "ar"

    def test_a_choice_made_before_signing_in_becomes_hers(
        self, client: FlaskClient, services: Services
    ) -> None:
        email = add_user(services, "joc_officer")
        post_form(client, "/language", {"language": "fr", "next": "/login"})
        assert "Se connecter" in client.get("/login").get_data(as_text=True)
        sign_in(client, email)
        assert _user(services, email).language == "fr"

    def test_an_unknown_language_or_a_missing_token_is_refused(self, client: FlaskClient) -> None:
        assert post_form(client, "/language", {"language": "xx"}).status_code == 400
        assert client.post("/language", data={"language": "fr"}, headers=PAGE).status_code == 400


class TestPagesAndHeaders:
    def test_pages_carry_the_content_security_policy_and_no_inline_code(self, client: FlaskClient) -> None:
        response = client.get("/login")
        assert response.headers["Content-Security-Policy"] == CONTENT_SECURITY_POLICY
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["Referrer-Policy"] == "same-origin"
        assert response.headers["Cache-Control"] == "no-store"
        page = response.get_data(as_text=True)
        for inline in ("<script>", "style=", "<style", " onclick=", "javascript:"):
            assert inline not in page

    def test_the_simulator_keeps_its_own_stricter_policy(
        self, client: FlaskClient, services: Services
    ) -> None:
        sign_in(client, add_user(services, "network_coordinator"))
        policy = client.get("/simulator").headers["Content-Security-Policy"]
        assert "form-action 'none'" in policy
        assert "connect-src 'self'" in policy

    def test_production_tells_browsers_to_come_back_over_https_only(
        self, client: FlaskClient, backend_settings: Settings, make_app: Callable[[Settings], Flask]
    ) -> None:
        assert "Strict-Transport-Security" not in client.get("/login").headers
        production = make_app(replace(backend_settings, env="production", training=False)).test_client()
        for path in ("/login", "/api/reports", "/healthz"):
            assert production.get(path).headers["Strict-Transport-Security"] == STRICT_TRANSPORT_SECURITY

    def test_a_browser_gets_an_error_page_and_a_program_gets_json(self, client: FlaskClient) -> None:
        page = client.get("/no-such-page", headers=PAGE)
        assert page.status_code == 404
        assert page.mimetype == "text/html"
        assert "Page not found" in page.get_data(as_text=True)
        for path, headers in (("/no-such-page", {"Accept": "application/json"}), ("/api/nothing", PAGE)):
            answer = client.get(path, headers=headers)
            assert (answer.status_code, answer.mimetype) == (404, "application/json")

    def test_a_form_posted_without_its_token_gets_a_400_page(
        self, client: FlaskClient, services: Services
    ) -> None:
        email = add_user(services, "joc_officer")
        refused = client.post("/login", data={"email": email, "password": PASSWORD}, headers=PAGE)
        assert refused.status_code == 400
        assert "The form could not be accepted" in refused.get_data(as_text=True)

    def test_a_script_may_send_the_token_in_a_header(self, client: FlaskClient) -> None:
        token = csrf_token(client)
        switched = client.post("/language", data={"language": "fr"}, headers=PAGE | {"X-CSRFToken": token})
        assert switched.status_code == 302
        assert '<meta name="csrf-token" content="' in client.get("/login").get_data(as_text=True)

    def test_webhooks_and_the_api_need_no_form_token(self, client: FlaskClient) -> None:
        assert client.post("/api/reports", headers={"Accept": "application/json"}).status_code == 405
        assert client.post("/webhooks/twilio/sms", data={"Body": "x"}).status_code == 403  # no signature
