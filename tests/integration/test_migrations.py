"""Migrations: the same history builds the same schema on SQLite and PostgreSQL/PostGIS."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DatabaseError

from alerts.audit.archive import archive_audit
from alerts.audit.trail import record_event
from alerts.incidents.reports import change_incident_status
from alerts.models import ApiToken, UssdSession, utcnow
from app import migrate
from app.bootstrap import Services
from tests.conftest import needs_postgres
from tests.factories import report

pytestmark = pytest.mark.integration


@pytest.fixture
def migrated_sqlite() -> None:
    """No template here: each SQLite file is migrated from empty, as a new deployment's is."""
    return None


def test_the_migrated_schema_matches_the_models(services: Services) -> None:
    assert migrate.current_revision(services.engine) == migrate.head_revision(services.engine)
    assert migrate.schema_drift(services.engine) == []


def test_migrations_go_down_to_empty_and_up_again(services: Services) -> None:
    migrate.downgrade(services.engine, "base")
    assert migrate.current_revision(services.engine) is None
    migrate.upgrade(services.engine)
    assert migrate.schema_drift(services.engine) == []


class TestAuditCheckpoints:
    """0006 lets archived audit events be deleted; going back restores the refusal of every deletion."""

    def test_below_0006_no_audit_event_may_be_deleted(self, services: Services) -> None:
        with services.uow() as uow:
            record_event(uow.session, actor="test", action="test", subject_type="test", subject_id=1)
            uow.commit()
        migrate.downgrade(services.engine, "0005")
        for statement in ("DELETE FROM audit_events", "UPDATE audit_events SET actor = 'x'"):
            with pytest.raises(DatabaseError, match="read-only"), services.engine.begin() as connection:
                connection.execute(text(statement))
        migrate.upgrade(services.engine)
        assert migrate.schema_drift(services.engine) == []

    def test_an_archived_trail_cannot_go_below_0006(self, services: Services, tmp_path: Path) -> None:
        with services.uow() as uow:
            record_event(uow.session, actor="test", action="test", subject_type="test", subject_id=1)
            uow.commit()
        archive_audit(utcnow() + timedelta(days=400), uow=services.uow(), directory=tmp_path)
        with pytest.raises(RuntimeError, match="archived"):
            migrate.downgrade(services.engine, "0005")
        assert migrate.current_revision(services.engine) == migrate.head_revision(services.engine)


def test_0009_gives_existing_tokens_90_days_and_revokes_those_of_switched_off_users(
    services: Services,
) -> None:
    migrate.downgrade(services.engine, "0008")
    with services.engine.begin() as connection:
        for user_id, active in ((1, True), (2, False)):
            connection.execute(
                text(
                    "INSERT INTO users (id, email, password_hash, role, active, countries, created_at) "
                    "VALUES (:id, :email, 'x', 'joc_officer', :active, '[]', :now)"
                ),
                {"id": user_id, "email": f"u{user_id}@example.org", "active": active, "now": utcnow()},
            )
            connection.execute(
                text("INSERT INTO api_tokens (user_id, token_hash, created_at) VALUES (:id, :hash, :now)"),
                {"id": user_id, "hash": str(user_id) * 64, "now": utcnow() - timedelta(days=400)},
            )
    migrate.upgrade(services.engine)
    with services.uow() as uow:
        tokens = {t.user_id: (t.expires_at, t.revoked_at) for t in uow.session.scalars(select(ApiToken))}
    assert timedelta(days=89) < tokens[1][0] - utcnow() <= timedelta(days=90)
    assert (tokens[1][1] is None, tokens[2][1] is not None) == (True, True)


def test_0010_keeps_stored_ussd_session_ends_and_stores_another_phones_with_the_same_id(
    services: Services,
) -> None:
    migrate.downgrade(services.engine, "0009")
    with services.engine.begin() as connection:
        for session_id, key in (("ATUid_hers", "a" * 64), ("ATUid_phoneless", None)):
            connection.execute(
                text(
                    "INSERT INTO ussd_sessions (session_id, reporter_key, status, ended_at) "
                    "VALUES (:id, :key, 'Success', :now)"
                ),
                {"id": session_id, "key": key, "now": utcnow()},
            )
    migrate.upgrade(services.engine)
    with services.uow() as uow:
        assert uow.session.get(UssdSession, ("ATUid_hers", "a" * 64)) is not None
        assert uow.session.get(UssdSession, ("ATUid_phoneless", "")) is not None
        uow.session.add(UssdSession(session_id="ATUid_hers", reporter_key="b" * 64, status="Failed"))
        uow.commit()
    migrate.downgrade(services.engine, "0009")  # one row per session id again
    with services.engine.connect() as connection:
        rows = connection.execute(text("SELECT session_id, reporter_key FROM ussd_sessions")).all()
    migrate.upgrade(services.engine)
    assert sorted(rows) == [("ATUid_hers", "a" * 64), ("ATUid_phoneless", None)]


def _walk(services: Services, report_id: int, *states: str) -> int:
    with services.uow() as uow:
        incident_id = uow.session.execute(
            text("SELECT incident_id FROM reports WHERE id = :id"), {"id": report_id}
        ).scalar_one()
    for state in states:
        change_incident_status(incident_id, state, actor="test", uow=services.uow())
    return int(incident_id)


@needs_postgres
@pytest.mark.parametrize("backend_settings", ["postgres"], indirect=True)
class TestPostGIS:
    def test_incidents_carry_a_postgis_point(self, services: Services) -> None:
        report(services, "FIG Juba", content={"lat": 4.85, "lon": 31.6})
        with services.engine.connect() as connection:
            wkt, srid = connection.execute(text("SELECT ST_AsText(geom), ST_SRID(geom) FROM incidents")).one()
        assert (wkt, srid) == ("POINT(31.6 4.85)", 4326)

    def test_qgis_view_lists_verified_incidents_without_sexual_violence_points(
        self, services: Services
    ) -> None:
        verified = _walk(services, report(services, "FIG Juba"), "under_review", "verified")
        _walk(services, report(services, "SXV Juba"), "under_review", "verified")
        _walk(services, report(services, "ATK Juba"), "under_review")
        with services.engine.connect() as connection:
            rows = connection.execute(
                text("SELECT id, category, GeometryType(geom) FROM verified_incidents")
            ).all()
            geometry_type = connection.execute(
                text("SELECT type FROM geometry_columns WHERE f_table_name = 'verified_incidents'")
            ).scalar_one()
        assert rows == [(verified, "FIG", "POINT")]
        assert geometry_type == "POINT"

    @pytest.mark.parametrize(
        "statement", ["UPDATE verified_incidents SET category = 'ATK'", "DELETE FROM verified_incidents"]
    )
    def test_the_qgis_view_is_read_only(self, services: Services, statement: str) -> None:
        _walk(services, report(services, "FIG Juba"), "under_review", "verified")
        with pytest.raises(DatabaseError, match="read-only"), services.engine.begin() as connection:
            connection.execute(text(statement))
